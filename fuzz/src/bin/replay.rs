//! Stable-toolchain corpus replay: runs every target body over every file in
//! `corpus/<target>/` (and `artifacts/<target>/`, when cargo-fuzz left any there) and exits
//! non-zero when one panics or fails its property.
//!
//! Usage: `replay [--corpus DIR] [TARGET…]` (default: this crate's `corpus/`, every target).

use std::panic;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use wecom_idp_fuzz::TARGETS;

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = rd
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter(|p| {
            // cargo-fuzz's own bookkeeping, not inputs.
            !p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.') || n.ends_with(".md"))
        })
        .collect();
    out.sort();
    out
}

fn main() -> ExitCode {
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut corpus = crate_dir.join("corpus");
    let mut only: Vec<String> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--corpus" {
            match args.next() {
                Some(d) => corpus = PathBuf::from(d),
                None => {
                    eprintln!("replay: --corpus needs a directory");
                    return ExitCode::from(2);
                }
            }
        } else if TARGETS.iter().any(|(n, _)| *n == a) {
            only.push(a);
        } else {
            eprintln!("replay: unknown target {a:?}");
            return ExitCode::from(2);
        }
    }

    let default_hook = panic::take_hook();
    let mut inputs = 0usize;
    let mut failures: Vec<String> = Vec::new();
    for (name, body) in TARGETS {
        if !only.is_empty() && !only.iter().any(|o| o == name) {
            continue;
        }
        let mut dirs = vec![corpus.join(name)];
        dirs.push(crate_dir.join("artifacts").join(name));
        let mut n = 0usize;
        for dir in dirs {
            for path in files(&dir) {
                let data = match std::fs::read(&path) {
                    Ok(d) => d,
                    Err(e) => {
                        failures.push(format!("{name}: {}: unreadable: {e}", path.display()));
                        continue;
                    }
                };
                n += 1;
                // Print the panic message (with the file) but keep going.
                let shown = path.display().to_string();
                let target = name.to_string();
                panic::set_hook(Box::new(move |info| {
                    eprintln!("replay: FAIL {target}: {shown}: {info}");
                }));
                let result = panic::catch_unwind(|| body(&data));
                let _ = panic::take_hook();
                if result.is_err() {
                    failures.push(format!("{name}: {}", path.display()));
                }
            }
        }
        if n == 0 {
            eprintln!(
                "replay: warning: no inputs for {name} under {}",
                corpus.display()
            );
        }
        println!("replay: {name}: {n} inputs");
        inputs += n;
    }
    panic::set_hook(default_hook);

    for f in &failures {
        println!("replay: failed: {f}");
    }
    println!("replay: {inputs} inputs, {} failures", failures.len());
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
