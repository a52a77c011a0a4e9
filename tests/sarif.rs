//! `tapc check --format sarif` produces SARIF 2.1.0 that validates against the
//! OASIS schema (a copy in tests/data, so the test runs offline), with a rule for
//! every result.

use std::collections::BTreeSet;
use std::path::Path;

use assert_cmd::Command;
use jsonschema::{Draft, JSONSchema};
use serde_json::Value as Json;

/// Errors of several kinds, labels on several lines, and a non-ASCII string.
const BAD: &str = "\
platform trading {
  rto  = 5m
  rpo  = 0s
  tags = { team = \"café\", cost = 42 }
}

region us-east-1 {
  role = primary
  cidr = 10.0.0.0/16
}

region us-east-2 {
  role = secondary
  cidr = 10.0.0.0/16
}

service api: fargate {
  image  = \"123456789012.dkr.ecr.us-east-2.amazonaws.com/api:1\"
  cpu    = 1024
  memory = 1GiB
  needs  = [api]
}

service ledger: aurora_postgres {
  version = \"14.6\"
  instances = 1
}
";

/// The schema, under the draft it declares (draft-04) or under draft 7, which
/// also checks the `uri-reference` format. Its `$ref`s are all local
/// (`#/definitions/...`), so nothing is fetched over the network.
fn schema_as(draft: Draft) -> JSONSchema {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif-2.1.0.schema.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let schema: Json = serde_json::from_str(&text).unwrap();
    JSONSchema::options()
        .with_draft(draft)
        .should_validate_formats(true)
        .compile(&schema)
        .expect("the SARIF schema compiles")
}

fn schema() -> JSONSchema {
    schema_as(Draft::Draft4)
}

fn sarif_of(files: &[&Path]) -> (i32, Json) {
    let out = Command::cargo_bin("tapc")
        .unwrap()
        .args(["check", "--format", "sarif"])
        .args(files)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let doc = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {stdout}"));
    (out.status.code().unwrap(), doc)
}

fn assert_valid(doc: &Json) {
    for draft in [Draft::Draft4, Draft::Draft7] {
        let schema = schema_as(draft);
        let errors: Vec<String> = match schema.validate(doc) {
            Ok(()) => continue,
            Err(errors) => errors
                .map(|e| format!("{} at {}", e, e.instance_path))
                .collect(),
        };
        panic!("invalid SARIF:\n{}\n{doc:#}", errors.join("\n"));
    }
}

/// Every `ruleId` used has a rule, at the `ruleIndex` the result gives.
fn assert_rules_cover_results(doc: &Json) {
    let run = &doc["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "a rule is listed twice: {ids:?}");
    for rule in rules {
        let id = rule["id"].as_str().unwrap();
        assert_eq!(
            rule["shortDescription"]["text"].as_str(),
            tapc::explain::summary(id),
            "rule {id}"
        );
    }
    let results = run["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        let id = r["ruleId"].as_str().unwrap();
        assert!(ids.contains(&id), "no rule for {id}; rules are {ids:?}");
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(ids[index], id, "ruleIndex of {id}");
    }
}

#[test]
fn sarif_of_a_bad_program_is_valid() {
    let dir = tempfile::TempDir::new().unwrap();
    let bad = dir.path().join("bad program.tap");
    std::fs::write(&bad, BAD).unwrap();
    let (status, doc) = sarif_of(&[&bad]);
    assert_eq!(status, 1);
    assert_eq!(doc["version"], "2.1.0");
    assert_valid(&doc);
    assert_rules_cover_results(&doc);

    let results = doc["runs"][0]["results"].as_array().unwrap();
    let ids: BTreeSet<&str> = results
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    for code in ["E201", "E316", "E206", "E401", "E501", "W205", "W301"] {
        assert!(ids.contains(code), "{code} missing from {ids:?}");
    }
    for r in results {
        let level = r["level"].as_str().unwrap();
        let id = r["ruleId"].as_str().unwrap();
        assert_eq!(level == "warning", id.starts_with('W'), "{id} is {level}");
        let location = &r["locations"][0]["physicalLocation"];
        // A file name with a space is still a valid URI reference.
        let uri = location["artifactLocation"]["uri"].as_str().unwrap();
        assert!(uri.ends_with("bad%20program.tap"), "{uri}");
        let region = &location["region"];
        let offset = region["byteOffset"].as_u64().unwrap() as usize;
        let length = region["byteLength"].as_u64().unwrap() as usize;
        assert!(offset + length <= BAD.len(), "{region}");
    }
    // `42` where a string is expected: columns count characters, offsets bytes.
    let e201 = results.iter().find(|r| r["ruleId"] == "E201").unwrap();
    let region = &e201["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startLine"], 4);
    assert_eq!(region["startColumn"], 34);
    assert_eq!(region["endColumn"], 36);
    assert_eq!(region["byteOffset"], 77);
    assert_eq!(region["byteLength"], 2);
}

#[test]
fn the_validator_rejects_invalid_sarif() {
    let dir = tempfile::TempDir::new().unwrap();
    let bad = dir.path().join("bad.tap");
    std::fs::write(&bad, BAD).unwrap();
    let (_, doc) = sarif_of(&[&bad]);
    let schema = schema();
    assert!(schema.is_valid(&doc));
    let mut broken = doc.clone();
    broken["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(
        !schema.is_valid(&broken),
        "a level outside the enum must fail"
    );
    let mut broken = doc.clone();
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        0.into();
    assert!(
        !schema.is_valid(&broken),
        "startLine 0 must fail (via $ref)"
    );
    let mut broken = doc.clone();
    broken["runs"][0]["tool"]["driver"]["rules"][0]["shortDescription"] = "text".into();
    assert!(!schema.is_valid(&broken), "a message must be an object");
    let mut broken = doc;
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
        ["uri"] = "bad program.tap".into();
    assert!(
        schema.is_valid(&broken),
        "draft-04 knows no `uri-reference` format"
    );
    assert!(
        !schema_as(Draft::Draft7).is_valid(&broken),
        "a space is not allowed in a URI reference"
    );
}

#[test]
fn sarif_of_several_files_and_of_a_clean_program_is_valid() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (status, doc) = sarif_of(&[&root.join("examples/minimal.tap")]);
    assert_eq!(status, 0);
    assert_valid(&doc);
    assert_eq!(doc["runs"][0]["results"], Json::Array(Vec::new()));

    let dir = tempfile::TempDir::new().unwrap();
    let syntax = dir.path().join("syntax.tap");
    std::fs::write(&syntax, "replicate ledger => us-west-2\n").unwrap();
    let latin1 = dir.path().join("latin1.tap");
    std::fs::write(&latin1, b"# caf\xe9\n").unwrap();
    let (status, doc) = sarif_of(&[&root.join("examples/trading.tap"), &syntax, &latin1]);
    assert_eq!(status, 1);
    assert_valid(&doc);
    assert_rules_cover_results(&doc);
}

/// Run in the directory that holds the file (as in a repository's CI): the
/// location is relative to `%SRCROOT%`, with a fingerprint and a help link.
#[test]
fn sarif_relative_to_the_current_directory_is_valid() {
    let dir = tempfile::TempDir::new().unwrap();
    std::fs::create_dir(dir.path().join("infra")).unwrap();
    std::fs::write(dir.path().join("infra/bad program.tap"), BAD).unwrap();
    let out = Command::cargo_bin("tapc")
        .unwrap()
        .current_dir(dir.path())
        .args(["check", "--format", "sarif", "infra/bad program.tap"])
        .output()
        .unwrap();
    let doc: Json = serde_json::from_slice(&out.stdout).unwrap();
    assert_valid(&doc);
    assert_rules_cover_results(&doc);
    let run = &doc["runs"][0];
    assert!(run["originalUriBaseIds"]["SRCROOT"]["uri"]
        .as_str()
        .unwrap()
        .starts_with("file:///"));
    let result = &run["results"][0];
    let artifact = &result["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(artifact["uri"], "infra/bad%20program.tap");
    assert_eq!(artifact["uriBaseId"], "SRCROOT");
    assert!(result["partialFingerprints"]["tapcFingerprint/v1"].is_string());
    assert!(run["tool"]["driver"]["rules"][0]["helpUri"]
        .as_str()
        .unwrap()
        .starts_with("https://"));
}
