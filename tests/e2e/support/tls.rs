//! A certificate authority of the test's own, made with the `openssl` command: a CA
//! certificate to trust, and server certificates it signs for loopback names.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A test CA in a temporary directory (removed when dropped).
pub struct TestCa {
    dir: tempfile::TempDir,
    /// The CA's certificate (PEM): what a client trusts.
    pub cert: PathBuf,
    key: PathBuf,
}

/// Runs `openssl` with `args` in `dir`, failing the test with its output when it fails.
fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("running openssl");
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A new EC P-256 key, `NAME.key`, and with it (as `extra` asks) a certificate request,
/// `NAME.csr`, or a self-signed certificate, `NAME.pem`.
fn new_key(dir: &Path, extra: &[&str], name: &str, subject: &str) {
    let key = format!("{name}.key");
    let out = match extra.contains(&"-x509") {
        true => format!("{name}.pem"),
        false => format!("{name}.csr"),
    };
    let mut args = vec![
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
    ];
    args.extend(extra);
    args.extend(["-nodes", "-keyout", &key, "-out", &out, "-subj", subject]);
    openssl(dir, &args);
}

impl TestCa {
    /// A fresh CA (an EC P-256 key, valid for two days).
    pub fn new() -> TestCa {
        let dir = tempfile::tempdir().expect("a directory for the test CA");
        new_key(
            dir.path(),
            &["-x509", "-days", "2"],
            "ca",
            "/CN=gale test CA",
        );
        TestCa {
            cert: dir.path().join("ca.pem"),
            key: dir.path().join("ca.key"),
            dir,
        }
    }

    /// A certificate and key (PEM files) for `localhost` and 127.0.0.1, signed by the CA,
    /// under `name`.
    pub fn issue(&self, name: &str) -> (PathBuf, PathBuf) {
        let dir = self.dir.path();
        let (key, csr, cert) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.pem"),
        );
        new_key(dir, &["-new"], name, "/CN=localhost");
        let extensions = dir.join(format!("{name}.ext"));
        std::fs::write(&extensions, "subjectAltName=DNS:localhost,IP:127.0.0.1\n").unwrap();
        let (ca_cert, ca_key) = (self.cert.to_str().unwrap(), self.key.to_str().unwrap());
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                ca_cert,
                "-CAkey",
                ca_key,
                "-CAcreateserial",
                "-out",
                &cert,
                "-days",
                "2",
                "-extfile",
                extensions.to_str().unwrap(),
            ],
        );
        (dir.join(cert), dir.join(key))
    }
}
