//! Helpers shared by the integration tests: locating the public sample data.

use std::path::PathBuf;

/// `shared/data/oea-insights`, found by walking up from the crate directory; panics with a clear
/// message if the sample data is not beside the repository.
pub fn sample_data() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for dir in manifest.ancestors() {
        let candidate = dir.join("shared/data/oea-insights");
        if candidate.join("SOURCE.md").is_file() {
            return candidate;
        }
    }
    panic!(
        "sample data not found: no shared/data/oea-insights in any parent of {} (CI puts /work/shared beside the repo)",
        manifest.display()
    );
}
