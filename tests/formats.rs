//! `tapc check --format github|gitlab|sarif` as CI systems read them.

use std::collections::BTreeSet;

use serde_json::Value as Json;

mod common;
use common::{tapc, write};

/// Two identical errors on different lines (same code, text and line text),
/// another error and a warning.
const BAD: &str = "\
platform shop {
  rto     = 5m
  rpo     = 1m
  trigger = 1m
}

region us-east-1 {
  role = primary
  cidr = 10.0.0.0/16
}

region us-west-2 {
  role = secondary
  cidr = 10.1.0.0/16
}

service a: fargate {
  image = \"123456789012.dkr.ecr.us-west-2.amazonaws.com/x\"
  cpu   = \"1024\"
}
service b: fargate {
  image = \"123456789012.dkr.ecr.us-west-2.amazonaws.com/x\"
  cpu   = \"1024\"
}
service files: s3 {}
replicate files -> us-west-2 { lag = 5m }
service bus: eventbridge { source = \"shop\" }
replicate bus -> us-west-2
";

fn check(dir: &std::path::Path, format: &str, file: &str) -> (i32, String) {
    let out = tapc()
        .current_dir(dir)
        .args(["check", "--format", format, file])
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
fn github_annotations_escape_properties_and_data() {
    let dir = tempfile::TempDir::new().unwrap();
    let name = "a,b:c%.tap";
    write(&dir, name, BAD);
    let (status, out) = check(dir.path(), "github", name);
    assert_eq!(status, 1);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines.len() >= 3, "{out}");
    for line in &lines {
        assert!(
            line.starts_with("::error file=a%2Cb%3Ac%25.tap,line=")
                || line.starts_with("::warning file=a%2Cb%3Ac%25.tap,line="),
            "{line}"
        );
        let (props, message) = line[2..].split_once("::").unwrap();
        assert!(!message.contains(['\n', '\r']));
        let title = props.rsplit_once(",title=").unwrap().1;
        assert!(
            title.len() == 4 && title[1..].bytes().all(|b| b.is_ascii_digit()),
            "{title}"
        );
    }
    // The first error: `"1024"` on line 19, columns 11 to 17; message and help on
    // lines of their own, joined by an escaped newline.
    assert_eq!(
        lines[0]
            .split_once("::")
            .map(|(_, rest)| rest)
            .unwrap()
            .split_once("::")
            .unwrap()
            .0,
        "error file=a%2Cb%3Ac%25.tap,line=19,col=11,endLine=19,endColumn=17,title=E201"
    );
    assert!(lines[0].contains("%0Ahelp: "), "{}", lines[0]);
}

#[test]
fn github_escapes_percent_in_messages() {
    let dir = tempfile::TempDir::new().unwrap();
    // A tag key that breaks AWS's rules is echoed in the message.
    write(
        &dir,
        "p.tap",
        "platform p {\n  rto = 5m\n  rpo = 1m\n  trigger = 1m\n  tags = { \"aws:x%\" = \"v\" }\n}\n",
    );
    let (_, out) = check(dir.path(), "github", "p.tap");
    assert!(
        out.contains("the key `aws:x%25` starts with `aws:`%0Ahelp: "),
        "{out}"
    );
    for line in out.lines() {
        let message = line[2..].split_once("::").unwrap().1;
        // Every `%` starts an escape: %25, %0A or %0D.
        for (i, _) in message.match_indices('%') {
            let esc = &message[i..(i + 3).min(message.len())];
            assert!(["%25", "%0A", "%0D"].contains(&esc), "{message}");
        }
    }
}

#[test]
fn gitlab_fingerprints_are_unique_and_stable() {
    let dir = tempfile::TempDir::new().unwrap();
    write(&dir, "shop.tap", BAD);
    let (status, first) = check(dir.path(), "gitlab", "shop.tap");
    assert_eq!(status, 1);
    let (_, second) = check(dir.path(), "gitlab", "./shop.tap");
    assert_eq!(first, second, "two runs give the same report");
    let issues: Json = serde_json::from_str(&first).unwrap();
    let issues = issues.as_array().unwrap();
    assert!(issues.len() >= 3, "{first}");
    assert!(
        issues.iter().any(|i| i["severity"] == "minor"),
        "a warning: {first}"
    );
    let prints: BTreeSet<&str> = issues
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(
        prints.len(),
        issues.len(),
        "fingerprints are unique: {first}"
    );
    let e201: Vec<&Json> = issues
        .iter()
        .filter(|i| i["check_name"] == "E201")
        .collect();
    assert_eq!(e201.len(), 2, "{first}");
    for issue in issues {
        let severity = issue["severity"].as_str().unwrap();
        let code = issue["check_name"].as_str().unwrap();
        assert_eq!(
            severity,
            if code.starts_with('W') {
                "minor"
            } else {
                "major"
            }
        );
        assert_eq!(issue["location"]["path"], "shop.tap");
        assert!(issue["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
        assert!(!issue["description"].as_str().unwrap().is_empty());
        assert_eq!(issue["fingerprint"].as_str().unwrap().len(), 32);
    }
    assert_eq!(e201[0]["location"]["lines"]["begin"], 19);

    // A blank line added above moves every issue down but keeps its fingerprint.
    write(&dir, "shop.tap", format!("\n{BAD}"));
    let (_, moved) = check(dir.path(), "gitlab", "shop.tap");
    let moved: Json = serde_json::from_str(&moved).unwrap();
    let moved_prints: BTreeSet<&str> = moved
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(moved_prints, prints);
    assert_eq!(moved[0]["location"]["lines"]["begin"], 20);
}

#[test]
fn sarif_is_relative_to_the_current_directory_with_help_links_and_fingerprints() {
    let dir = tempfile::TempDir::new().unwrap();
    std::fs::create_dir(dir.path().join("infra")).unwrap();
    write(&dir, "infra/shop.tap", BAD);
    let (status, out) = check(dir.path(), "sarif", "infra/shop.tap");
    assert_eq!(status, 1);
    let doc: Json = serde_json::from_str(&out).unwrap();
    let run = &doc["runs"][0];
    let root = run["originalUriBaseIds"]["SRCROOT"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        root.starts_with("file:///") && root.ends_with('/'),
        "{root}"
    );
    for rule in run["tool"]["driver"]["rules"].as_array().unwrap() {
        let id = rule["id"].as_str().unwrap();
        assert_eq!(
            rule["helpUri"],
            format!("https://github.com/tapc/tapc/blob/main/src/explain/{id}.md")
        );
        let explain =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("src/explain/{id}.md"));
        assert!(
            explain.exists(),
            "{id} has its explanation at the linked path"
        );
    }
    let results = run["results"].as_array().unwrap();
    let mut prints = BTreeSet::new();
    for r in results {
        let artifact = &r["locations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(artifact["uri"], "infra/shop.tap");
        assert_eq!(artifact["uriBaseId"], "SRCROOT");
        prints.insert(
            r["partialFingerprints"]["tapcFingerprint/v1"]
                .as_str()
                .unwrap(),
        );
    }
    assert_eq!(prints.len(), results.len());
    let (_, again) = check(dir.path(), "sarif", "infra/shop.tap");
    assert_eq!(out, again);
}
