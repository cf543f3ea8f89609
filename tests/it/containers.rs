//! TaskManagers in container images on the genuine agent (issue 27): the
//! Mesos containerizer with Flink in the image, a Java-only image with Flink
//! as a volume and `containerized.taskmanager.env.FLINK_HOME`, and the Docker
//! containerizer through the harness's private dockerd. Each asserts that
//! the TaskManager JVM runs inside the image (its root has the image's
//! marker file) and that a job finishes.
//!
//! The images are built in the test setup from Debian's busybox-static, the
//! host JDK and the Flink home with `../shared/mesos-local/build-images.sh`
//! and `mkimage.py`, once per target directory (never committed). Images
//! need root, mount namespaces and the cgroup v1 freezer: elsewhere the
//! tests print `skipped:` with the reason.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::flink_on_mesos::{
    appmaster_args, spawn_appmaster, terminate_and_wait_success, wait_registered,
};
use crate::support::flink::{self, build_small_job, cmdline, submit_jar, wait_job_terminal};
use crate::support::free_port;
use crate::support::mesos_local::MesosLocal;

const FLINK_IMAGE: &str = "flink-mesos-it-flink:1";
const JAVA_IMAGE: &str = "flink-mesos-it-java:1";

fn harness_dir() -> PathBuf {
    std::env::var_os("MESOS_LOCAL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/mesos-local"))
}

/// Why images cannot run here, if they cannot.
fn images_unsupported() -> Option<String> {
    // SAFETY: geteuid(2) cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Some("container images need root (mount namespaces, pivot_root)".into());
    }
    if !Path::new("/sys/fs/cgroup/freezer").is_dir() {
        return Some(
            "container images need the cgroup v1 freezer hierarchy at /sys/fs/cgroup/freezer (the linux launcher)".into(),
        );
    }
    let unshare = Command::new("unshare").args(["-m", "true"]).status();
    if !unshare.is_ok_and(|s| s.success()) {
        return Some("container images need mount namespaces (`unshare -m true` failed)".into());
    }
    None
}

/// The local registry with both images: `FLINK_IMAGE` (busybox, the host
/// JDK at /opt/java, Flink at /opt/flink, `ENV FLINK_HOME=/opt/flink`) and
/// `JAVA_IMAGE` (the same without Flink and without `FLINK_HOME`). Built
/// once, under a lock, below the target directory.
fn registry(home: &Path) -> PathBuf {
    let reg = Path::new(env!("CARGO_TARGET_TMPDIR")).join("images-issue27");
    std::fs::create_dir_all(&reg).unwrap();
    let script = r#"
set -euo pipefail
REG="$1"; HARNESS="$2"
if [ ! -f "$REG/$FLINK_IMAGE.tar" ]; then
  FLINK_HOME="$FLINK_DIST" "$HARNESS/build-images.sh" flink "$REG" "$FLINK_IMAGE" >&2
fi
if [ ! -f "$REG/$JAVA_IMAGE.tar" ]; then
  T="$(mktemp -d "$REG/.java.XXXXXX")"; trap 'rm -rf "$T"' EXIT
  mkdir "$T/archive" "$T/root"
  tar -xf "$REG/$FLINK_IMAGE.tar" -C "$T/archive"
  for layer in "$T"/archive/*/layer.tar; do tar -xf "$layer" -C "$T/root"; done
  rm -rf "$T/root/opt/flink"
  sed -i "s/${FLINK_IMAGE%%:*}/${JAVA_IMAGE%%:*}/g" "$T/root/etc/os-release" "$T/root/IMAGE_MARKER"
  python3 "$HARNESS/mkimage.py" "$T/root" "$REG/$JAVA_IMAGE.tar.part" "$JAVA_IMAGE" \
    --env PATH=/opt/java/bin:/usr/sbin:/usr/bin:/sbin:/bin --env JAVA_HOME=/opt/java --cmd /bin/sh >&2
  mv "$REG/$JAVA_IMAGE.tar.part" "$REG/$JAVA_IMAGE.tar"
fi
"#;
    let started = Instant::now();
    let out = Command::new("flock")
        .arg(reg.join(".lock"))
        .args(["bash", "-c", script, "build"])
        .arg(&reg)
        .arg(harness_dir())
        .env("FLINK_DIST", home)
        .env("FLINK_IMAGE", FLINK_IMAGE)
        .env("JAVA_IMAGE", JAVA_IMAGE)
        .output()
        .expect("cannot run flock/bash");
    assert!(
        out.status.success(),
        "building the test images failed (needs apt-get download busybox-static, python3):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!(
        "numbers: images ready in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    reg
}

/// The TaskManager JVM of this cluster: its `FLINK_PROPERTIES` name the
/// cluster's JobManager port.
fn taskmanager_jvm(rpc_port: u16) -> Option<u32> {
    let wanted = format!("jobmanager.rpc.port: {rpc_port}\n");
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: u32 = e.file_name().to_str()?.parse().ok()?;
        let environ = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
        let environ = String::from_utf8_lossy(&environ);
        (environ.contains(&wanted) && cmdline(pid).contains("TaskManagerRunner")).then_some(pid)
    })
}

/// A private dockerd from Debian's packages (`docker-up.sh`), stopped on drop.
struct Dockerd {
    dir: tempfile::TempDir,
    docker: String,
    socket: String,
}

impl Dockerd {
    fn start() -> Result<Dockerd, String> {
        let dir = tempfile::Builder::new()
            .prefix("flink-mesos-it-dockerd-")
            .tempdir()
            .unwrap();
        let out = Command::new("bash")
            .arg(harness_dir().join("docker-up.sh"))
            .arg(dir.path())
            .output()
            .map_err(|e| e.to_string())?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let var = |name: &str| {
            stdout.lines().find_map(|l| {
                l.strip_prefix(&format!("export {name}="))
                    .map(|v| v.trim().to_string())
            })
        };
        match (
            out.status.success(),
            var("MESOS_DOCKER"),
            var("MESOS_DOCKER_SOCKET"),
        ) {
            (true, Some(docker), Some(socket)) => Ok(Dockerd {
                dir,
                docker,
                socket,
            }),
            _ => {
                let _ = Command::new("bash")
                    .arg(harness_dir().join("docker-down.sh"))
                    .arg(dir.path())
                    .output();
                Err(format!(
                    "docker-up.sh failed ({}): {}",
                    out.status,
                    flink::tail(&String::from_utf8_lossy(&out.stderr), 5)
                ))
            }
        }
    }

    fn load(&self, archive: &Path) {
        let out = Command::new(&self.docker)
            .args(["-H", &format!("unix://{}", self.socket), "load", "-i"])
            .arg(archive)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "docker load: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Dockerd {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(harness_dir().join("docker-down.sh"))
            .arg(self.dir.path())
            .output();
    }
}

/// Runs an appmaster with one TaskManager in `image` on `mesos`, with the
/// default task command (the artifact server ships flink-mesos) and `extra`
/// settings; asserts the TaskManager runs inside the image and a job
/// finishes.
async fn a_job_finishes_in_the_image(mesos: &MesosLocal, image: &str, extra: &[String]) {
    let home = flink::flink_home();
    let dir = tempfile::tempdir().unwrap();
    let job = build_small_job(&home, dir.path());
    let (rpc_port, rest_port) = (free_port(), free_port());
    // A private copy: it is what the artifact server ships to the worker.
    let bin = dir.path().join("flink-mesos");
    std::fs::copy(assert_cmd::cargo::cargo_bin("flink-mesos"), &bin).unwrap();
    let stderr_path = dir.path().join("appmaster.stderr");
    let mut args = appmaster_args(mesos, &home, &dir.path().join("am"), rpc_port, rest_port);
    args.extend([
        "-Dmesos.initial-tasks=1".into(),
        format!("-Dmesos.resourcemanager.tasks.container.image.name={image}"),
    ]);
    args.extend(extra.iter().cloned());
    let started = Instant::now();
    let mut guard = spawn_appmaster(&bin, &args, dir.path(), &stderr_path, &[]);
    let child = &mut guard.0;
    let (_stdout, _) = crate::support::status_base(child, &stderr_path);
    wait_registered(
        rest_port,
        &format!("a TaskManager in {image}"),
        |ids| ids.len() == 1,
        &stderr_path,
    )
    .await;
    let registered = started.elapsed();
    let pid = taskmanager_jvm(rpc_port).expect("the TaskManager JVM runs");
    let marker = std::fs::read_to_string(format!("/proc/{pid}/root/IMAGE_MARKER"))
        .unwrap_or_else(|e| panic!("the TaskManager does not run inside the image: {e}"));
    assert!(
        marker.contains(image.split(':').next().unwrap()),
        "{marker}"
    );
    let job_id = submit_jar(rest_port, &job, "SmallJob").await;
    assert_eq!(
        wait_job_terminal(rest_port, &job_id, Duration::from_secs(120)).await,
        "FINISHED"
    );
    eprintln!(
        "numbers: {image}: appmaster start -> TaskManager registered {:.1} s, job finished {:.1} s",
        registered.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    terminate_and_wait_success(child, &stderr_path).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taskmanager_runs_flink_from_its_image_in_the_mesos_containerizer() {
    if let Some(why) = images_unsupported() {
        eprintln!("skipped: {why}");
        return;
    }
    let reg = registry(&flink::flink_home().root);
    let mesos = MesosLocal::start(&[
        ("MESOS_LOCAL_IMAGES", "1"),
        ("MESOS_DOCKER_REGISTRY", reg.to_str().unwrap()),
    ]);
    a_job_finishes_in_the_image(&mesos, FLINK_IMAGE, &[]).await;
}

/// Flink's Mesos mode put `containerized.taskmanager.env.*` into the
/// TaskManager's environment; a Java-only image gets Flink from a volume.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_java_only_image_runs_flink_from_a_volume_named_by_the_taskmanager_env() {
    if let Some(why) = images_unsupported() {
        eprintln!("skipped: {why}");
        return;
    }
    let home = flink::flink_home();
    let reg = registry(&home.root);
    let mesos = MesosLocal::start(&[
        ("MESOS_LOCAL_IMAGES", "1"),
        ("MESOS_DOCKER_REGISTRY", reg.to_str().unwrap()),
    ]);
    let flink = std::fs::canonicalize(&home.root).unwrap();
    a_job_finishes_in_the_image(
        &mesos,
        JAVA_IMAGE,
        &[
            format!(
                "-Dmesos.resourcemanager.tasks.container.volumes={}:/opt/flink:ro",
                flink.display()
            ),
            "-Dcontainerized.taskmanager.env.FLINK_HOME=/opt/flink".into(),
        ],
    )
    .await;
}

/// The Docker containerizer starts the task in the image's WORKDIR (`/`
/// here), not in the sandbox.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taskmanager_runs_in_the_docker_containerizer() {
    if let Some(why) = images_unsupported() {
        eprintln!("skipped: {why}");
        return;
    }
    let reg = registry(&flink::flink_home().root);
    let dockerd = match Dockerd::start() {
        Ok(d) => d,
        Err(why) => {
            eprintln!("skipped: no Docker engine can run here: {why}");
            return;
        }
    };
    dockerd.load(&reg.join(format!("{FLINK_IMAGE}.tar")));
    let mesos = MesosLocal::start(&[
        ("MESOS_CONTAINERIZERS", "docker,mesos"),
        ("MESOS_DOCKER", &dockerd.docker),
        ("MESOS_DOCKER_SOCKET", &dockerd.socket),
    ]);
    a_job_finishes_in_the_image(
        &mesos,
        FLINK_IMAGE,
        &["-Dmesos.resourcemanager.tasks.container.type=docker".into()],
    )
    .await;
}
