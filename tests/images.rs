//! W316: images a secondary region may not be able to pull during a failover.

use tapc::diag::SourceFile;

/// A platform with `primary` and one secondary, and a service pulling `image`.
fn program(primary: &str, secondary: &str, registry: &str, image: &str) -> String {
    format!(
        "platform p {{
  rto      = 15m
  rpo      = 5m
  trigger  = 5m
  registry = {registry}
}}

region {primary} {{
  role = primary
  cidr = 10.0.0.0/16
}}

region {secondary} {{
  role = secondary
  cidr = 10.1.0.0/16
}}

service web: fargate {{
  image = \"{image}\"
}}
"
    )
}

/// The label of W316, if reported, and the text it points at.
fn w316(primary: &str, secondary: &str, registry: &str, image: &str) -> Option<(String, String)> {
    let text = program(primary, secondary, registry, image);
    let file = SourceFile::new("p.tap", text.as_str());
    let checked = tapc::check_source(&file, tapc::Given::command_line(&[])).expect("check runs");
    let d = checked.diagnostics.iter().find(|d| d.code == "W316")?;
    let label = &d.labels[0];
    let at = text[label.span.start..label.span.end].to_string();
    Some((at, label.text.clone()))
}

#[test]
fn images_outside_the_platforms_regions_are_reported_at_the_image() {
    let cases = [
        ("nginx:1.27", "Docker Hub"),
        ("docker.io/library/nginx:1.27", "Docker Hub"),
        ("ghcr.io/acme/web:1", "`ghcr.io` is outside AWS"),
        ("quay.io/acme/web:1", "`quay.io` is outside AWS"),
        (
            "public.ecr.aws/nginx/nginx:1.27",
            "ECR Public is served from us-east-1, the primary region",
        ),
        (
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1",
            "the private registry of us-east-1",
        ),
    ];
    for (image, label) in cases {
        let (at, text) = w316("us-east-1", "us-west-2", "external", image)
            .unwrap_or_else(|| panic!("{image}: no W316"));
        assert_eq!(at, format!("\"{image}\""));
        assert!(text.starts_with(label), "{image}: {text}");
    }
}

#[test]
fn ecr_public_is_a_dependency_on_us_east_1_even_when_it_is_not_the_primary() {
    let (_, text) = w316(
        "eu-west-1",
        "eu-central-1",
        "external",
        "public.ecr.aws/nginx/nginx:1.27",
    )
    .expect("W316");
    assert!(text.contains("depends on that region"), "{text}");
}

#[test]
fn a_replicated_registry_or_a_registry_of_another_region_is_not_reported() {
    let primary = "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1";
    assert_eq!(w316("us-east-1", "us-west-2", "replicated", primary), None);
    // Not the primary's registry: it does not fail with the primary.
    let other = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:1";
    assert_eq!(w316("us-east-1", "us-west-2", "external", other), None);
}

#[test]
fn with_a_replicated_registry_an_external_image_is_still_reported() {
    let (_, text) = w316("us-east-1", "us-west-2", "replicated", "nginx:1.27").expect("W316");
    assert!(text.starts_with("Docker Hub"), "{text}");
}
