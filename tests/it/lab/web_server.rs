//! A web server for the lab: Debian's nginx in the destination namespace, with
//! certificates of a test CA that `rcgen` makes for each run (valid, expired, for another
//! name), on fixed ports; what `connect https://...` and `check https://...` are tested
//! against, and what the web bench (benches/compare/web.rs) times beside curl.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};

use super::{Lab, Role};

pub struct Pki {
    pub ca: CertifiedIssuer<'static, KeyPair>,
    pub ca_file: PathBuf,
    _dir: tempfile::TempDir,
}

pub fn pki() -> Pki {
    pki_until(None)
}

/// A test CA whose certificate ends `days` from now (None: rcgen's far-off default).
pub fn pki_until(days: Option<i64>) -> Pki {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    if let Some(days) = days {
        params.not_after = time::OffsetDateTime::now_utc() + time::Duration::days(days);
    }
    params
        .distinguished_name
        .push(DnType::CommonName, "netlab test CA");
    let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap();
    Pki {
        ca,
        ca_file,
        _dir: dir,
    }
}

/// A leaf for `names`, valid from `from` to `to` days from now, signed by the CA (or by
/// itself).
pub fn leaf(
    pki: &Pki,
    names: &[&str],
    from: i64,
    to: i64,
    self_signed: bool,
) -> (rcgen::Certificate, KeyPair) {
    let mut params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name.push(DnType::CommonName, names[0]);
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now + time::Duration::days(from);
    params.not_after = now + time::Duration::days(to);
    let key = KeyPair::generate().unwrap();
    let cert = if self_signed {
        params.self_signed(&key).unwrap()
    } else {
        params.signed_by(&key, &pki.ca).unwrap()
    };
    (cert, key)
}

/// Debian's nginx (and curl, to compare with), installed once when missing; false (and a
/// loud skip) without them, a failure under CI=true.
pub fn have_nginx() -> bool {
    super::prerequisites::installed(&["nginx", "curl"], &["nginx", "curl"])
}

/// nginx in the destination namespace, stopped (and its files removed) on drop.
pub struct Nginx {
    child: Child,
    _dir: tempfile::TempDir,
}

impl Nginx {
    /// The not-after (seconds since the epoch) of the end certificate nginx serves as
    /// `name` (`valid`, `expired`, `wrong`), read from the file it serves.
    pub fn not_after(&self, name: &str) -> i64 {
        let pem = std::fs::read(self._dir.path().join(format!("{name}.pem"))).unwrap();
        let (_, pem) = x509_parser::pem::parse_x509_pem(&pem).unwrap();
        let cert = pem.parse_x509().unwrap();
        cert.validity().not_after.timestamp()
    }
}

/// One process (`master_process off`): a master's workers would outlive a killed master.
/// Stopped with SIGTERM (nginx's fast shutdown), SIGKILL if it has not gone in 5 s.
impl Drop for Nginx {
    fn drop(&mut self) {
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub const PLAIN: u16 = 8080;
pub const H2C: u16 = 8081;
pub const VALID: u16 = 8443;
pub const TLS12: u16 = 8444;
pub const EXPIRED: u16 = 8445;
pub const WRONG_NAME: u16 = 8446;

pub fn start_nginx(lab: &Lab, pki: &Pki) -> Nginx {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    for (name, cert) in [
        ("valid", leaf(pki, &["www.netlab.test"], -1, 90, false)),
        ("expired", leaf(pki, &["www.netlab.test"], -30, -2, false)),
        ("wrong", leaf(pki, &["other.netlab.test"], -1, 90, false)),
    ] {
        write(
            &format!("{name}.pem"),
            &format!("{}{}", cert.0.pem(), pki.ca.pem()),
        );
        write(&format!("{name}.key"), &cert.1.serialize_pem());
    }
    // nginx 1.22 offers TLS 1.2 at most unless told: the servers offer 1.3 too, but the
    // one that stands for a TLS 1.2-only service.
    let tls = |port: u16, name: &str, extra: &str| {
        let extra = if extra.is_empty() {
            "ssl_protocols TLSv1.2 TLSv1.3;"
        } else {
            extra
        };
        format!(
            "server {{ listen {port} ssl http2; listen [::]:{port} ssl http2; {extra}
               ssl_certificate {d}/{name}.pem; ssl_certificate_key {d}/{name}.key;
               location / {{ return 200 \"secure\\n\"; }} }}\n"
        )
    };
    let conf = format!(
        "user root; master_process off; pid {d}/nginx.pid; error_log {d}/error.log;
events {{ worker_connections 64; }}
http {{
  access_log off; default_type text/plain; absolute_redirect off;
  client_body_temp_path {d}/body; proxy_temp_path {d}/proxy; fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;
  server {{ listen {PLAIN}; listen [::]:{PLAIN};
    location = / {{ return 200 \"hello from nginx\\n\"; }}
    location = /500 {{ return 500; }}
    location = /r3 {{ return 302 /r2; }}
    location = /r2 {{ return 301 /r1; }}
    location = /r1 {{ return 307 /; }}
    location = /loop {{ return 302 /loop; }} }}
  server {{ listen {H2C} http2; location / {{ return 200 \"h2c\\n\"; }} }}
  {}  {}  {}  {}
}}\n",
        tls(VALID, "valid", ""),
        tls(TLS12, "valid", "ssl_protocols TLSv1.2;"),
        tls(EXPIRED, "expired", ""),
        tls(WRONG_NAME, "wrong", ""),
    );
    write("nginx.conf", &conf);
    let child = lab
        .command(Role::Dest, "nginx")
        .args(["-c", &format!("{d}/nginx.conf"), "-g", "daemon off;"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("nginx starts");
    let nginx = Nginx { child, _dir: dir };
    // Ready when its last port answers (the kernel queues connections once it listens).
    let deadline = Instant::now() + Duration::from_secs(20);
    let probe = format!("{}:{WRONG_NAME}", lab.dest_v4());
    while !lab
        .netlab(&["connect", "-w", "200ms", &probe])
        .status
        .success()
    {
        assert!(
            Instant::now() < deadline,
            "nginx did not start: {:?}",
            std::fs::read_to_string(nginx._dir.path().join("error.log"))
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    nginx
}

/// curl's `-w` figures for one request: cumulative seconds (name lookup, connect, TLS,
/// first byte, total), then the status.
pub const CURL_W: &str = "%{time_namelookup} %{time_connect} %{time_appconnect} %{time_starttransfer} %{time_total} %{http_code}";

/// `curl --http1.1 -so /dev/null --cacert CA --resolve PIN -w W URL` in the client
/// namespace: the request netlab's phases are compared with.
pub fn curl(lab: &Lab, ca: &str, pin: &str, w: &str, url: &str) -> Command {
    let mut cmd = lab.command(Role::Client, "curl");
    cmd.args([
        "--http1.1",
        "-so",
        "/dev/null",
        "--cacert",
        ca,
        "--resolve",
        pin,
        "-w",
        w,
        url,
    ]);
    cmd
}
