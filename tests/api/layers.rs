//! The one-way layers (docs/architecture.md): `web` looks down on
//! `services`, `app`, `mail`, `store` and `domain`, never the other way
//! round; `app` (the application context) looks down only; `mail` looks up
//! at neither `services` nor `app`, and is the only way into the outbox;
//! and the product does not know the benchmark that measures it. This
//! reads the source, so an import that breaks the rule fails here even
//! where it would compile.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    if dir.is_file() {
        return vec![dir.to_owned()];
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Lines of the files under `place` (a folder or a file of `src`) that
/// contain any of `needles`.
fn lines_naming(place: &str, needles: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    for file in rust_files(&src().join(place)) {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            if needles.iter().any(|a| line.contains(a.as_str())) {
                found.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
            }
        }
    }
    found
}

/// Lines under `layer` that name any of `above`.
fn looks_up(layer: &str, above: &[&str]) -> Vec<String> {
    let needles: Vec<String> = above.iter().map(|a| format!("crate::{a}")).collect();
    lines_naming(layer, &needles)
}

#[test]
fn lower_layers_never_import_the_web_layer() {
    for layer in ["services", "mail", "store", "domain"] {
        let found = looks_up(layer, &["web"]);
        assert!(found.is_empty(), "{layer} imports web:\n{}", found.join("\n"));
    }
}

#[test]
fn mail_store_and_domain_never_import_services() {
    for layer in ["mail", "store", "domain"] {
        let found = looks_up(layer, &["services"]);
        assert!(found.is_empty(), "{layer} imports services:\n{}", found.join("\n"));
    }
}

#[test]
fn the_application_context_looks_only_down() {
    for file in ["app.rs", "limits.rs"] {
        let found = looks_up(file, &["web", "services"]);
        assert!(
            found.is_empty(),
            "{file} imports a layer above it:\n{}",
            found.join("\n")
        );
    }
}

#[test]
fn mail_never_imports_the_application_context() {
    let found = looks_up("mail", &["app"]);
    assert!(found.is_empty(), "mail imports app:\n{}", found.join("\n"));
}

#[test]
fn only_mail_writes_to_the_outbox() {
    let needles = vec!["outbox::enqueue".to_owned()];
    let mut found = Vec::new();
    for entry in std::fs::read_dir(src()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name != "mail" && name != "store" {
            found.extend(lines_naming(&name, &needles));
        }
    }
    assert!(
        found.is_empty(),
        "the outbox is written outside mail::queue:\n{}",
        found.join("\n")
    );
    assert!(
        !lines_naming("mail", &needles).is_empty(),
        "the check must see mail's own calls"
    );
}

#[test]
fn the_check_sees_an_import() {
    // The check reads the same files the build does: the web layer itself
    // imports services, so looking for that must find lines.
    assert!(!looks_up("web", &["services"]).is_empty());
}

/// Lines of code under `dir`, comments aside, that name the benchmark.
fn names_the_benchmark(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for file in rust_files(dir) {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if !code.starts_with("//") && code.to_lowercase().contains("bench") {
                found.push(format!("{}:{}: {}", file.display(), n + 1, code));
            }
        }
    }
    found
}

#[test]
fn the_product_never_names_the_benchmark() {
    // The benchmark is the workspace's `bench` package and uses the library
    // from outside: no module, command, setting or hook of the product may
    // exist for it. Comments may still say why a figure led to some code.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let found = names_the_benchmark(&root.join("src"));
    assert!(
        found.is_empty(),
        "the product names the benchmark:\n{}",
        found.join("\n")
    );
    // The same reading finds the benchmark's own code.
    assert!(!names_the_benchmark(&root.join("bench").join("src")).is_empty());
}
