#!/usr/bin/env python3
"""Build the README's Rust examples as a user's crate would: with exactly the dependencies
the README tells users to add (zoom-billing and tokio; fake-zoom and tokio's test-util for
tests), not the crate's dev-dependencies that rustdoc hands its own doctests.

Usage: readme_as_user.py README.md ZOOM_BILLING_DIR FAKE_ZOOM_DIR OUT_DIR
Writes OUT_DIR/Cargo.toml and one example per Rust block of the README; `cargo check
--examples` in OUT_DIR then compiles them.
"""
import pathlib
import re
import sys

readme, zoom_billing, fake_zoom, out = sys.argv[1:5]
text = pathlib.Path(readme).read_text()
out = pathlib.Path(out)
(out / "examples").mkdir(parents=True, exist_ok=True)
(out / "src").mkdir(exist_ok=True)
(out / "src" / "lib.rs").write_text("")
(out / "Cargo.toml").write_text(f"""[package]
name = "readme-user"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
zoom-billing = {{ path = "{zoom_billing}" }}
tokio = {{ version = "1", features = ["macros", "rt-multi-thread"] }}

# The README's store and jobs examples are behind the user's own `redis`, `sqlite` and `jobs`
# features, as the README tells users to turn them on.
[features]
redis = ["zoom-billing/redis"]
sqlite = ["zoom-billing/sqlite"]
jobs = ["zoom-billing/jobs"]

[dev-dependencies]
fake-zoom = {{ path = "{fake_zoom}" }}
tokio = {{ version = "1", features = ["test-util"] }}

[workspace]
""")
blocks = re.findall(r"^```rust([^\n]*)\n(.*?)^```", text, flags=re.S | re.M)
count = 0
for attrs, code in blocks:
    if "ignore" in attrs:
        continue
    # rustdoc's hidden lines (`# ...`) are code; a block without `fn main` is wrapped in one.
    lines = []
    for line in code.splitlines():
        if line == "#":
            lines.append("")
        elif line.startswith("# "):
            lines.append(line[2:])
        else:
            lines.append(line)
    body = "\n".join(lines)
    if "fn main" not in body:
        body = "fn main() {\n" + body + "\n}"
    count += 1
    (out / "examples" / f"readme_{count}.rs").write_text("#![allow(dead_code, unused)]\n" + body + "\n")
if count == 0:
    sys.exit("no Rust block found in " + readme)
print(f"{count} README examples written to {out}/examples")
