//! Architecture invariants checked on the source text: every file says what it
//! owns, only adapters name a platform crate, only the store names sled.

use std::path::{Path, PathBuf};

fn rust_files(directory: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(directory).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
}

fn sources() -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    rust_files(Path::new("src"), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            (path, text)
        })
        .collect()
}

/// Code lines only: comments and doc comments may mention anything.
fn code(text: &str) -> String {
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_source_file_opens_with_a_module_doc() {
    for (path, text) in sources() {
        assert!(
            text.starts_with("//!"),
            "{} must start with a //! line saying what it owns",
            path.display()
        );
    }
}

#[test]
fn only_adapters_name_platform_crates() {
    for (path, text) in sources() {
        if path.starts_with("src/adapters") {
            continue;
        }
        let code = code(&text);
        for name in ["serenity", "teloxide"] {
            assert!(
                !code.contains(name),
                "{} names {name}; only src/adapters/ may",
                path.display()
            );
        }
    }
}

#[test]
fn only_the_store_names_sled() {
    for (path, text) in sources() {
        if path == Path::new("src/store.rs") {
            continue;
        }
        assert!(
            !code(&text).contains("sled::"),
            "{} names sled; only src/store.rs may",
            path.display()
        );
    }
}
