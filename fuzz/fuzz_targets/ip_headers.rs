#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    netlab_fuzz::ipv4(data);
    netlab_fuzz::ipv6(data);
});
