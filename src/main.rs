//! The `wecom-idp` binary: CLI → config → telemetry → library.
fn main() {}
