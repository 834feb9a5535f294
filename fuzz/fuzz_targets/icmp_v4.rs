#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    netlab_fuzz::icmp(data, netlab_fuzz::packet::icmp::Version::V4);
});
