//! cargo-fuzz entry point; the body (and its properties) is `wecom_idp_fuzz::sp_metadata`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| wecom_idp_fuzz::sp_metadata(data));
