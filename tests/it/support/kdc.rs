//! A Kerberos KDC (MIT krb5, Debian's `krb5-kdc` and `krb5-admin-server`)
//! on a free loopback port with a throwaway realm database, killed on drop:
//! principals and keytabs for a ZooKeeper server and Flink's JVMs.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const REALM: &str = "FLINK.TEST";

pub struct Kdc {
    /// The client configuration (`java.security.krb5.conf`, `KRB5_CONFIG`).
    pub krb5_conf: PathBuf,
    child: Child,
    dir: tempfile::TempDir,
}

impl Kdc {
    pub fn start() -> Kdc {
        for tool in [
            "/usr/sbin/krb5kdc",
            "/usr/sbin/kdb5_util",
            "/usr/sbin/kadmin.local",
        ] {
            assert!(
                Path::new(tool).exists(),
                "{tool} is missing: run scripts/install-deps.sh (krb5-kdc, krb5-admin-server)"
            );
        }
        let dir = tempfile::Builder::new()
            .prefix("flink-mesos-it-kdc-")
            .tempdir()
            .unwrap();
        let port = super::free_port();
        let d = dir.path().display();
        let krb5_conf = dir.path().join("krb5.conf");
        // TCP only (udp_preference_limit = 1): one free port is checked.
        std::fs::write(
            &krb5_conf,
            format!(
                "[libdefaults]\n  default_realm = {REALM}\n  dns_lookup_kdc = false\n  \
                 dns_lookup_realm = false\n  udp_preference_limit = 1\n  rdns = false\n\
                 [realms]\n  {REALM} = {{\n    kdc = 127.0.0.1:{port}\n  }}\n"
            ),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("kdc.conf"),
            format!(
                "[kdcdefaults]\n  kdc_ports = {port}\n  kdc_tcp_ports = {port}\n\
                 [realms]\n  {REALM} = {{\n    database_name = {d}/principal\n    \
                 key_stash_file = {d}/stash\n    acl_file = {d}/kadm5.acl\n    \
                 supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal\n  }}\n\
                 [logging]\n  kdc = FILE:{d}/kdc.log\n"
            ),
        )
        .unwrap();
        let mut kdc = Kdc {
            krb5_conf,
            child: Command::new("true").spawn().unwrap(),
            dir,
        };
        kdc.run(
            "/usr/sbin/kdb5_util",
            &["create", "-s", "-r", REALM, "-P", "master-pw"],
        );
        kdc.child = kdc
            .command("/usr/sbin/krb5kdc")
            .args(["-n", "-r", REALM])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "the KDC did not listen within 20 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        kdc
    }

    fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("KRB5_CONFIG", &self.krb5_conf)
            .env("KRB5_KDC_PROFILE", self.dir.path().join("kdc.conf"));
        c
    }

    fn run(&self, program: &str, args: &[&str]) {
        let out = self.command(program).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{program} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A new principal (`name@REALM`, random key) and a keytab with it.
    pub fn keytab(&self, name: &str) -> PathBuf {
        let principal = format!("{name}@{REALM}");
        let keytab = self
            .dir
            .path()
            .join(format!("{}.keytab", name.replace('/', "_")));
        for query in [
            format!("addprinc -randkey {principal}"),
            format!("ktadd -k {} {principal}", keytab.display()),
        ] {
            self.run("/usr/sbin/kadmin.local", &["-r", REALM, "-q", &query]);
        }
        keytab
    }
}

impl Drop for Kdc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
