//! The `fake-zoom` program (`fake_zoom::cli`), built as this package's binary so the fleet test
//! can run it as its own process: cargo gives a test only its own package's binaries.

fn main() -> std::io::Result<()> {
    fake_zoom::cli::main()
}
