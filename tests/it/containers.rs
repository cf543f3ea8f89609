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
    let bin = assert_cmd::cargo::cargo_bin("flink-mesos");
    a_job_finishes_in_the_image_with(mesos, image, extra, &bin).await;
}

/// [`a_job_finishes_in_the_image`] with the appmaster (and so the
/// `flink-mesos` it ships) from `source_bin`; returns the appmaster's log.
async fn a_job_finishes_in_the_image_with(
    mesos: &MesosLocal,
    image: &str,
    extra: &[String],
    source_bin: &Path,
) -> String {
    let home = flink::flink_home();
    let dir = tempfile::tempdir().unwrap();
    let job = build_small_job(&home, dir.path());
    let (rpc_port, rest_port) = (free_port(), free_port());
    // A private copy: it is what the artifact server ships to the worker.
    let bin = dir.path().join("flink-mesos");
    std::fs::copy(source_bin, &bin).unwrap();
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
    // The flink-mesos of the task runs in the image too.
    let wrapper = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .find(|p| {
            let line = cmdline(*p);
            // Not a shell around it: the program is flink-mesos.
            line.split(' ')
                .next()
                .is_some_and(|a| a.ends_with("flink-mesos"))
                && line.contains(" taskmanager")
                && std::fs::read_to_string(format!("/proc/{p}/root/IMAGE_MARKER"))
                    .is_ok_and(|m| m.contains(image.split(':').next().unwrap()))
        })
        .expect("the task's flink-mesos taskmanager runs in the image");
    let exe = std::fs::read_link(format!("/proc/{wrapper}/exe")).unwrap();
    assert_eq!(
        flink_mesos::artifacts::overlay::dynamically_linked(Path::new(&format!(
            "/proc/{wrapper}/exe"
        ))),
        flink_mesos::artifacts::overlay::dynamically_linked(source_bin),
        "the task runs the shipped flink-mesos ({})",
        exe.display()
    );
    terminate_and_wait_success(child, &stderr_path).await;
    std::fs::read_to_string(&stderr_path).unwrap_or_default()
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

/// A TaskManager image that does not exist (a wrong name, or one the
/// agent cannot pull) is a clear failure with the image and the key named
/// in the appmaster's log, `/status` and `workers list`; the appmaster
/// holds its launches instead of retrying in a silent loop.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_image_name_is_a_clear_failure_in_the_log_status_and_workers_list() {
    use crate::support::ha::{cluster, Am};
    use crate::support::zookeeper::ZooKeeper;
    if let Some(why) = images_unsupported() {
        eprintln!("skipped: {why}");
        return;
    }
    // An empty local registry: no image can be found in it.
    let reg = tempfile::tempdir().unwrap();
    let zk = ZooKeeper::start();
    let mesos = MesosLocal::start(&[
        ("MESOS_LOCAL_IMAGES", "1"),
        ("MESOS_DOCKER_REGISTRY", reg.path().to_str().unwrap()),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let id = cluster("wrong-image");
    let am = Am::start(
        dir.path(),
        "am",
        &mesos,
        &zk,
        &[
            "-Dmesos.initial-tasks=1",
            "-Dmesos.maximum-failed-tasks=100",
            "-Dmesos.resourcemanager.tasks.container.image.name=no-such-image:7",
            "-Dmesos.resourcemanager.tasks.taskmanager-cmd=sleep 600",
            &id,
        ],
    );
    let v = am
        .wait_status("the launches held", |v| v["launch_hold"].is_object())
        .await;
    let hold = &v["launch_hold"];
    assert_eq!(hold["image"], "no-such-image:7", "{v:#}");
    assert_eq!(
        hold["key"],
        "mesos.resourcemanager.tasks.container.image.name"
    );
    let reason = hold["reason"].as_str().unwrap();
    assert!(
        reason.contains("taskmanager-00001") && reason.contains("'no-such-image:7'"),
        "the containerizer's own message: {reason}"
    );
    assert!(hold["retry_in_seconds"].as_f64().unwrap() > 200.0, "{v:#}");
    let framework_id = v["framework_id"].as_str().unwrap().to_string();
    let log = am.stderr();
    let error = log
        .lines()
        .find(|l| l.contains("ERROR") && l.contains("launches are held"))
        .unwrap_or_else(|| panic!("no ERROR line in the log:\n{log}"));
    assert!(
        error.contains("no-such-image:7")
            && error.contains("mesos.resourcemanager.tasks.container.image.name"),
        "{error}"
    );
    // No retry loop: the master saw one launch, and no other follows.
    tokio::time::sleep(Duration::from_secs(15)).await;
    let (active, completed) = crate::support::ha::tasks(&mesos, &framework_id).await;
    assert_eq!(
        (active.len(), completed.as_slice()),
        (0, ["taskmanager-00001".to_string()].as_slice()),
        "launches went on:\n{}",
        am.stderr()
    );
    assert_eq!(am.stderr().matches("launching worker").count(), 1);
    let out = Command::new(assert_cmd::cargo::cargo_bin("flink-mesos"))
        .args(["workers", "list", "-Dhigh-availability.type=zookeeper"])
        .arg(format!(
            "-Dhigh-availability.zookeeper.quorum={}",
            zk.connect_string()
        ))
        .arg(&id)
        .env_remove("FLINK_CONF_DIR")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let list = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{list}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let held = list
        .lines()
        .find(|l| l.starts_with("HELD"))
        .unwrap_or_else(|| panic!("workers list says nothing of the hold:\n{list}"));
    assert!(
        held.contains("`no-such-image:7`") && held.contains("Failed to find archive"),
        "{held}"
    );
    let mut am = am;
    am.signal("TERM");
    assert!(am.wait_exit().await.success(), "{}", am.stderr());
}

/// The statically linked flink-mesos (musl): `$FLINK_MESOS_STATIC_BIN`, else
/// built by `scripts/build-static.sh` (debug profile, once per target
/// directory).
fn static_flink_mesos() -> PathBuf {
    if let Some(bin) = std::env::var_os("FLINK_MESOS_STATIC_BIN") {
        return PathBuf::from(bin);
    }
    let out = Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/build-static.sh"))
        .env("PROFILE", "dev")
        .output()
        .expect("cannot run scripts/build-static.sh");
    assert!(
        out.status.success(),
        "scripts/build-static.sh failed (scripts/install-deps.sh installs musl-tools and the target):\n{}",
        flink::tail(&String::from_utf8_lossy(&out.stderr), 20)
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

const BUSYBOX_IMAGE: &str = "flink-mesos-it-busybox:1";

/// A busybox image without glibc (`build-images.sh busybox`), and a JDK
/// with the shared libraries it needs, for volumes: the JDK tree of
/// `FLINK_IMAGE` (`<dir>/opt/java`, `<dir>/usr/lib/x86_64-linux-gnu`,
/// `<dir>/usr/lib64`). Built once, under the registry's lock.
fn busybox_and_jdk(reg: &Path) -> PathBuf {
    let jdk = reg.join("jdk-volume");
    let script = r#"
set -euo pipefail
REG="$1"; HARNESS="$2"; JDK="$3"
if [ ! -f "$REG/$BUSYBOX_IMAGE.tar" ]; then
  "$HARNESS/build-images.sh" busybox "$REG" "$BUSYBOX_IMAGE" >&2
fi
if [ ! -d "$JDK/opt/java" ]; then
  T="$(mktemp -d "$REG/.jdk.XXXXXX")"; trap 'rm -rf "$T"' EXIT
  mkdir "$T/archive" "$T/root"
  tar -xf "$REG/$FLINK_IMAGE.tar" -C "$T/archive"
  for layer in "$T"/archive/*/layer.tar; do tar -xf "$layer" -C "$T/root" ./opt/java ./usr/lib ./usr/lib64 2>/dev/null || tar -xf "$layer" -C "$T/root"; done
  mkdir -p "$T/jdk/opt" "$T/jdk/usr/lib"
  mv "$T/root/opt/java" "$T/jdk/opt/java"
  mv "$T/root/usr/lib/x86_64-linux-gnu" "$T/jdk/usr/lib/x86_64-linux-gnu"
  mv "$T/root/usr/lib64" "$T/jdk/usr/lib64"
  rm -rf "$JDK"; mv "$T/jdk" "$JDK"
fi
"#;
    let out = Command::new("flock")
        .arg(reg.join(".lock"))
        .args(["bash", "-c", script, "build"])
        .arg(reg)
        .arg(harness_dir())
        .arg(&jdk)
        .env("FLINK_IMAGE", FLINK_IMAGE)
        .env("BUSYBOX_IMAGE", BUSYBOX_IMAGE)
        .output()
        .expect("cannot run flock/bash");
    assert!(
        out.status.success(),
        "building the busybox image and the JDK volume failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    jdk
}

/// The `flink-mesos` that the artifact server ships is the static (musl)
/// build when the appmaster runs from it: `flink-mesos taskmanager` starts
/// in a busybox image that has no glibc (Java and its libraries come from
/// volumes, Flink too) and a job finishes (issue 27).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_static_flink_mesos_runs_the_taskmanager_in_an_image_without_glibc() {
    if let Some(why) = images_unsupported() {
        eprintln!("skipped: {why}");
        return;
    }
    let home = flink::flink_home();
    let reg = registry(&home.root);
    let jdk = busybox_and_jdk(&reg);
    // The image really has no C library.
    let layer = Command::new("bash")
        .arg("-c")
        .arg("tar -xOf \"$1\" --wildcards '*/layer.tar' | tar -t")
        .arg("list")
        .arg(reg.join(format!("{BUSYBOX_IMAGE}.tar")))
        .output()
        .unwrap();
    let files = String::from_utf8_lossy(&layer.stdout);
    assert!(files.contains("bin/busybox"), "{files}");
    assert!(
        !files.contains("libc.so") && !files.contains("ld-linux"),
        "{files}"
    );
    let bin = static_flink_mesos();
    assert_eq!(
        flink_mesos::artifacts::overlay::dynamically_linked(&bin),
        Some(false),
        "{} is not statically linked",
        bin.display()
    );
    // In the image's root alone (no volumes), the static build runs and the
    // ordinary one cannot.
    let root = tempfile::tempdir().unwrap();
    let unpacked = Command::new("bash")
        .arg("-c")
        .arg("tar -xOf \"$1\" --wildcards '*/layer.tar' | tar -x -C \"$2\"")
        .arg("unpack")
        .arg(reg.join(format!("{BUSYBOX_IMAGE}.tar")))
        .arg(root.path())
        .status()
        .unwrap();
    assert!(unpacked.success());
    let runs_in_image = |exe: &Path| {
        std::fs::copy(exe, root.path().join("flink-mesos")).unwrap();
        Command::new("chroot")
            .arg(root.path())
            .args(["/flink-mesos", "--version"])
            .output()
            .unwrap()
            .status
            .success()
    };
    assert!(
        runs_in_image(&bin),
        "the static build does not run in the image"
    );
    assert!(
        !runs_in_image(&assert_cmd::cargo::cargo_bin("flink-mesos")),
        "the image has what a glibc build needs"
    );
    let mesos = MesosLocal::start(&[
        ("MESOS_LOCAL_IMAGES", "1"),
        ("MESOS_DOCKER_REGISTRY", reg.to_str().unwrap()),
    ]);
    let flink = std::fs::canonicalize(&home.root).unwrap();
    let volumes = [
        format!("{}:/opt/flink:ro", flink.display()),
        format!("{}:/opt/java:ro", jdk.join("opt/java").display()),
        format!(
            "{}:/usr/lib/x86_64-linux-gnu:ro",
            jdk.join("usr/lib/x86_64-linux-gnu").display()
        ),
        format!("{}:/usr/lib64:ro", jdk.join("usr/lib64").display()),
    ];
    let log = a_job_finishes_in_the_image_with(
        &mesos,
        BUSYBOX_IMAGE,
        &[
            format!(
                "-Dmesos.resourcemanager.tasks.container.volumes={}",
                volumes.join(",")
            ),
            "-Dcontainerized.taskmanager.env.FLINK_HOME=/opt/flink".into(),
            "-Dcontainerized.taskmanager.env.JAVA_HOME=/opt/java".into(),
        ],
        &bin,
    )
    .await;
    assert!(!log.contains("is dynamically linked"), "{log}");
}
