//! `fake-zoom`: serve the fake Zoom billing API on 127.0.0.1 until killed
//! (`fake-zoom --help`); see [`fake_zoom::cli`].

fn main() -> std::io::Result<()> {
    fake_zoom::cli::main()
}
