//! The command line: every subcommand, flag and help text, declared once with
//! clap's derive API. Help snapshots, man pages and shell completions are all
//! generated from [`Cli::command`].

use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "flink-mesos",
    version,
    about = "Run Apache Flink on Apache Mesos",
    long_about = "Run Apache Flink on Apache Mesos.\n\n\
        One binary for the application master (Mesos scheduler + Flink JobManager), \
        the TaskManager entry point that Mesos runs on each agent, and the operator \
        tools around them.",
    propagate_version = true,
    disable_help_subcommand = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x).
    /// Defaults to $FLINK_CONF_DIR, then ./conf.
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        env = "FLINK_CONF_DIR",
        hide_env_values = true
    )]
    pub conf_dir: Option<PathBuf>,

    /// Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable).
    #[arg(short = 'D', global = true, value_name = "KEY=VALUE", action = clap::ArgAction::Append)]
    pub dynamic: Vec<String>,

    /// More log output (-v: debug, -vv: trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,

    /// Less output: errors only.
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Format of the data a command prints.
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,

    /// Format of log lines on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// When to colour human output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
    /// YAML (`workers` and `framework` commands).
    Yaml,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the application master: Mesos scheduler, worker supervision and the Flink JobManager.
    Appmaster(AppmasterArgs),
    /// Run a Flink TaskManager inside a Mesos task (what Mesos starts on each agent).
    Taskmanager(TaskmanagerArgs),
    /// Check the effective configuration and report every problem at once.
    ValidateConf(ValidateConfArgs),
    /// Inspect the effective configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Show the leading Mesos master resolved from `mesos.master`.
    Master(MasterArgs),
    /// Inspect and repair the worker state persisted in ZooKeeper.
    #[command(subcommand)]
    Workers(WorkersCommand),
    /// Repair the framework state persisted in ZooKeeper.
    #[command(subcommand)]
    Framework(FrameworkCommand),
    /// Write a Marathon app definition that runs the appmaster.
    MarathonJson(Box<MarathonJsonArgs>),
    /// Bring a whole Flink-on-Mesos cluster up or down on this machine.
    #[command(subcommand)]
    Local(LocalCommand),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Write man pages for flink-mesos and every subcommand.
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct AppmasterArgs {
    /// On SIGTERM, leave the framework and its workers running for a failover
    /// within mesos.failover-timeout instead of tearing it down (a job
    /// cluster also leaves its job to the next JobManager, which recovers it
    /// with high availability).
    #[arg(long)]
    pub keep_framework: bool,
    /// Run the scheduler alone, for a JobManager that runs elsewhere
    /// (set jobmanager.rpc.address to it).
    #[arg(long)]
    pub no_jobmanager: bool,
    /// The Flink distribution the JobManager runs from. Defaults to
    /// $FLINK_HOME, then to what scripts/fetch-flink.sh assembled.
    #[arg(long, value_name = "DIR", env = "FLINK_HOME", hide_env_values = true)]
    pub flink_home: Option<std::path::PathBuf>,
    /// How often the JobManager is restarted when it dies (within 10
    /// minutes) before the appmaster stops the cluster and exits 1; 0 exits
    /// at the first death, e.g. to let Marathon restart the whole appmaster.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub jobmanager_restarts: u32,
    /// Directory for the JobManager's configuration and logs (default: the
    /// Mesos sandbox when run by Marathon, else ./flink-mesos-appmaster).
    #[arg(long, value_name = "DIR")]
    pub work_dir: Option<std::path::PathBuf>,
    /// Port of the /status and /metrics endpoint (default and 0: any free
    /// port; the address is printed at start).
    #[arg(long, value_name = "PORT")]
    pub status_port: Option<u16>,
    /// Address the status endpoint listens on.
    #[arg(long, value_name = "ADDR", default_value = "0.0.0.0")]
    pub status_bind: std::net::IpAddr,
    /// Run a job cluster: the JobManager runs this JAR's job in Flink's
    /// application mode, the workers follow the job's demand, and the
    /// appmaster ends with the job (exit 0 when it finished, 6 when it
    /// failed, 7 when it was canceled). The JAR is checked first.
    #[arg(
        long,
        value_name = "PATH",
        conflicts_with = "no_jobmanager",
        help_heading = "Job cluster"
    )]
    pub job_jar: Option<PathBuf>,
    #[command(flatten)]
    pub job: JobOptions,
}

#[derive(Debug, Args)]
pub struct TaskmanagerArgs {
    /// The Flink distribution to run (lib/flink-dist*.jar, conf/, bin/).
    /// Defaults to a distribution unpacked in the sandbox (e.g. fetched with
    /// mesos.resourcemanager.tasks.uris), then to what scripts/fetch-flink.sh
    /// assembled in ~/.cache/flink-mesos/flink-2.3.0.
    #[arg(long, value_name = "DIR", env = "FLINK_HOME", hide_env_values = true)]
    pub flink_home: Option<PathBuf>,
    /// Directory for the generated configuration, logs and temporary files.
    /// Defaults to the Mesos sandbox, else the working directory.
    #[arg(
        long,
        value_name = "DIR",
        env = "MESOS_SANDBOX",
        hide_env_values = true
    )]
    pub sandbox: Option<PathBuf>,
    /// Do not run mesos.resourcemanager.tasks.bootstrap-cmd (it already ran).
    #[arg(long)]
    pub skip_bootstrap: bool,
    /// Write the JVM's stdout/stderr to taskmanager.out/.err in the sandbox
    /// instead of passing them through.
    #[arg(long)]
    pub output_files: bool,
    /// Prepare everything (configuration file, memory flags) and print the
    /// TaskManager's command line instead of running it. Skips the bootstrap
    /// command.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Target {
    /// The configuration the appmaster starts with (needs mesos.master).
    Appmaster,
    /// The configuration a TaskManager receives.
    Taskmanager,
}

#[derive(Debug, Args)]
pub struct ValidateConfArgs {
    /// Also warn about unknown keys outside `mesos.` and about deprecated keys.
    #[arg(long)]
    pub strict: bool,
    /// What the configuration is meant for.
    #[arg(long = "for", value_enum, default_value_t = Target::Appmaster, value_name = "TARGET")]
    pub target: Target,
    /// The Flink version the configuration is for (e.g. 1.18.1): also show
    /// the memory Flink gives the JobManager and each TaskManager, by
    /// Flink's own calculation, and what flink-mesos writes for that version.
    #[arg(long, value_name = "VERSION", value_parser = parse_flink_version, conflicts_with = "flink_home")]
    pub flink_version: Option<crate::flink::FlinkVersion>,
    /// A Flink distribution: its version (from lib/flink-dist-*.jar), as
    /// with --flink-version.
    #[arg(long, value_name = "DIR")]
    pub flink_home: Option<PathBuf>,
}

fn parse_flink_version(s: &str) -> Result<crate::flink::FlinkVersion, String> {
    crate::flink::FlinkVersion::parse(s)
        .ok_or_else(|| format!("`{s}` is not a Flink version; write it like 1.18.1 or 2.3.0"))
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the effective configuration with the source of every value (secrets masked).
    Show(ConfigShowArgs),
}

#[derive(Debug, Args)]
pub struct ConfigShowArgs {
    /// Also list declared options that nobody set and that have no default.
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct MasterArgs {}

#[derive(Debug, Subcommand)]
pub enum WorkersCommand {
    /// List the workers persisted in ZooKeeper, with the framework id and the leading appmaster.
    List(WorkersListArgs),
    /// Show one worker's stored record.
    Show(WorkersShowArgs),
    /// Remove one worker from the store (repair; its task, if any, is then
    /// killed as unknown by the next reconciliation).
    Forget(WorkersForgetArgs),
    /// Set the floor of a running cluster: at least N workers, whatever the
    /// jobs' demand (stored: it survives a restart or failover). Needs the
    /// admin token; waits until the workers run.
    Scale(WorkersScaleArgs),
}

#[derive(Debug, Args)]
pub struct WorkersScaleArgs {
    /// The new floor: workers kept running even when idle.
    #[arg(value_name = "N")]
    pub workers: u32,
    /// The appmaster's status address (`host:port` or a URL, as printed at
    /// its start). Default with ZooKeeper high availability: the leader's.
    #[arg(long, value_name = "URL")]
    pub appmaster: Option<String>,
    /// A file holding the admin token. Default: $FLINK_MESOS_ADMIN_TOKEN,
    /// then mesos.resourcemanager.admin-token, then <work dir>/admin-token.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<std::path::PathBuf>,
    /// The appmaster's work directory, for its admin-token file (default:
    /// ./flink-mesos-appmaster).
    #[arg(long, value_name = "DIR")]
    pub work_dir: Option<std::path::PathBuf>,
    /// How long to wait until N workers run (e.g. `90 s`, `5 min`).
    #[arg(long, value_name = "DURATION", default_value = "5 min")]
    pub timeout: String,
    /// Return once the appmaster took the change, without waiting.
    #[arg(long)]
    pub no_wait: bool,
}

#[derive(Debug, Args)]
pub struct WorkersListArgs {
    /// Refresh the list in place until interrupted.
    #[arg(long)]
    pub watch: bool,
    /// Seconds between two refreshes with --watch.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 2.0,
        requires = "watch"
    )]
    pub interval: f64,
}

#[derive(Debug, Args)]
pub struct WorkersShowArgs {
    /// The worker's task id, e.g. taskmanager-00001.
    pub task_id: String,
}

#[derive(Debug, Args)]
pub struct ConfirmArgs {
    /// Do not ask for confirmation (for scripts).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Change the store even while an appmaster leads it (that appmaster
    /// gives the leadership up at its next conflicting write, and the store
    /// is read afresh by the next leader, possibly itself).
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct WorkersForgetArgs {
    /// The worker's task id, e.g. taskmanager-00001.
    pub task_id: String,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
}

#[derive(Debug, Subcommand)]
pub enum FrameworkCommand {
    /// Forget the stored framework id, so that the next appmaster registers
    /// a new framework (e.g. after the master removed the old one).
    ClearId(ConfirmArgs),
}

#[derive(Debug, Args)]
pub struct MarathonJsonArgs {
    /// Marathon app id (default: derived from the framework name).
    #[arg(long)]
    pub id: Option<String>,
    /// Number of appmaster instances: 1, or 0 to suspend the app; more only
    /// with ZooKeeper high availability (one leads, the others stand by).
    #[arg(long, default_value_t = 1)]
    pub instances: u32,
    /// Run the appmaster in this Docker image (default: the TaskManagers'
    /// container settings, if any). The TaskManagers run in it too unless
    /// `mesos.resourcemanager.tasks.container.image.name` is set.
    #[arg(long, visible_alias = "image", value_name = "IMAGE")]
    pub docker_image: Option<String>,
    /// Flink distribution path on the Marathon agents: `flink-mesos appmaster
    /// --flink-home PATH` (default: $FLINK_HOME there), or with `--entrypoint
    /// script` where its bin/mesos-appmaster.sh is.
    #[arg(long, value_name = "PATH")]
    pub flink_home: Option<String>,
    /// What the app runs: `flink-mesos appmaster` from the PATH of the agent or
    /// image, or `<flink-home>/bin/mesos-appmaster.sh` (a copy of
    /// commands/mesos-appmaster.sh: no Flink since 1.14 ships that script).
    #[arg(long, value_enum, default_value_t = Entrypoint::Binary)]
    pub entrypoint: Entrypoint,
    /// CPUs for the appmaster (the Mesos scheduler and the Flink JobManager).
    #[arg(long, default_value_t = 1.0)]
    pub cpus: f64,
    /// Disk space for the appmaster's sandbox in MB.
    #[arg(long, value_name = "MB")]
    pub disk: Option<f64>,
    /// A Marathon placement constraint, e.g. `hostname:UNIQUE` or `rack:LIKE:r[12]` (repeatable).
    #[arg(long = "constraint", value_name = "FIELD:OPERATOR[:VALUE]")]
    pub constraints: Vec<String>,
    /// An environment variable for the appmaster (repeatable; never a secret:
    /// see --secret-store).
    #[arg(long = "env", value_name = "NAME=VALUE")]
    pub env: Vec<String>,
    /// A Marathon label on the app (repeatable).
    #[arg(long = "label", value_name = "KEY=VALUE")]
    pub labels: Vec<String>,
    /// Reference secrets set through -D or the environment from Marathon's
    /// secret store under this path, instead of leaving them out.
    #[arg(long, value_name = "PATH")]
    pub secret_store: Option<String>,
    /// Also put the values of the configuration file into `cmd`, for agents
    /// or images that do not have the file (secrets are still left out).
    #[arg(long)]
    pub inline_config: bool,
    /// Format of the app definition on stdout (--deploy always sends JSON).
    #[arg(long, value_enum, default_value_t = DefinitionFormat::Json, conflicts_with = "deploy")]
    pub format: DefinitionFormat,
    /// Pretty-print the JSON.
    #[arg(long, conflicts_with = "deploy")]
    pub pretty: bool,
    /// Send the app definition to this Marathon (`PUT /v2/apps/{id}`) and
    /// print Marathon's answer instead of the definition.
    #[arg(long, value_name = "URL")]
    pub deploy: Option<String>,
    /// User for HTTP basic authentication with Marathon; the password is
    /// read from $MARATHON_PASSWORD.
    #[arg(long, value_name = "USER", requires = "deploy")]
    pub deploy_user: Option<String>,
    /// PEM file with the CA certificate(s) that signed Marathon's HTTPS certificate.
    #[arg(long, value_name = "FILE", requires = "deploy")]
    pub deploy_ca: Option<PathBuf>,
    /// Deploy even while another deployment of the app is in progress (`?force=true`).
    #[arg(long, requires = "deploy")]
    pub deploy_force: bool,
    /// A job cluster (`appmaster --job-jar`): the job JAR, as a path on the
    /// agents (or in the image), or a URI Marathon fetches into the sandbox.
    #[arg(long, value_name = "PATH|URI", help_heading = "Job cluster")]
    pub job_jar: Option<String>,
    #[command(flatten)]
    pub job: JobOptions,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Entrypoint {
    /// `<flink-home>/bin/mesos-appmaster.sh`: commands/mesos-appmaster.sh copied there.
    Script,
    /// `flink-mesos appmaster` (the default).
    Binary,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DefinitionFormat {
    Json,
    Yaml,
}

#[derive(Debug, Subcommand)]
pub enum LocalCommand {
    /// Start a Mesos master + agent (genuine or embedded) and the appmaster with N
    /// TaskManagers and the Flink JobManager on this machine, wait until
    /// every TaskManager is registered, and print the web UIs.
    Up(LocalUpArgs),
    /// Stop what `local up` started, in reverse order, by the pids it
    /// recorded (idempotent).
    Down(LocalDownArgs),
    /// Show each component of the local cluster: pid, port, health
    /// (exit 1 when a recorded component is unhealthy).
    Status(LocalStateArgs),
    /// List the logs of the local cluster, or print one component's log.
    Logs(LocalLogsArgs),
    /// The embedded single-node Mesos master + agent (what `local up
    /// --mesos embedded` starts; a development stand-in for one machine).
    #[command(hide = true)]
    EmbeddedMesos(LocalEmbeddedMesosArgs),
}

#[derive(Debug, Clone, Args)]
pub struct LocalEmbeddedMesosArgs {
    /// The port on 127.0.0.1 to serve the scheduler API, /master/state and /health on.
    #[arg(long, value_name = "PORT")]
    pub port: u16,
    /// Where task sandboxes go (slaves/<agent>/frameworks/…/runs/<container>).
    #[arg(long, value_name = "DIR")]
    pub work_dir: PathBuf,
    /// The agent's resources in Mesos' text format, e.g.
    /// "cpus:4;mem:8192;disk:10240;ports:[31000-31099]". Default: this
    /// machine's CPUs, its memory less 1 GiB, 10240 MB disk, ports 31000-32000.
    #[arg(long, value_name = "RESOURCES")]
    pub resources: Option<String>,
    /// The agent's attributes, e.g. "rack:r1;zone:a".
    #[arg(long, value_name = "ATTRIBUTES")]
    pub attributes: Option<String>,
    /// The hostname offers carry (as Mesos' --hostname).
    #[arg(long, value_name = "HOST", default_value = "127.0.0.1")]
    pub hostname: String,
    /// Seconds between HEARTBEAT events on a subscription.
    #[arg(long, value_name = "SECS", default_value_t = 15.0)]
    pub heartbeat_interval: f64,
}

#[derive(Debug, Clone, Args)]
pub struct LocalStateArgs {
    /// Where the cluster's record (state.json), logs and Mesos work
    /// directory live. Default: $XDG_STATE_HOME/flink-mesos/local, else
    /// ~/.local/state/flink-mesos/local.
    #[arg(
        long,
        value_name = "DIR",
        env = "FLINK_MESOS_LOCAL_DIR",
        hide_env_values = true
    )]
    pub state_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LocalMesos {
    /// Genuine Mesos binaries (MESOS_HOME, PATH, or the build of
    /// scripts/install-deps.sh); an error when there are none.
    Real,
    /// The embedded single-node Mesos (master + agent in a flink-mesos
    /// process; tasks run as plain local processes): a development
    /// stand-in for one machine, no isolation or resource enforcement.
    Embedded,
    /// Genuine Mesos when found, else the embedded one.
    Auto,
}

#[derive(Debug, Args)]
pub struct LocalUpArgs {
    #[command(flatten)]
    pub state: LocalStateArgs,
    /// Number of TaskManagers (Mesos tasks).
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub workers: u32,
    /// Also start ZooKeeper (Debian's package) and run with high
    /// availability: the worker store, leader election and Flink's own HA.
    #[arg(long)]
    pub ha: bool,
    /// The Flink distribution. Defaults to $FLINK_HOME, then to what
    /// scripts/fetch-flink.sh assembled in ~/.cache/flink-mesos/flink-2.3.0.
    #[arg(long, value_name = "DIR", env = "FLINK_HOME", hide_env_values = true)]
    pub flink_home: Option<PathBuf>,
    /// Which Mesos to run.
    #[arg(long, value_enum, default_value_t = LocalMesos::Auto)]
    pub mesos: LocalMesos,
    /// Run a job cluster (as `appmaster --job-jar`): the JobManager runs
    /// this JAR's job, --workers is the floor of TaskManagers, `up` returns
    /// once the job runs and `local status` shows its state; the cluster
    /// ends with the job (`local down` stops it first, with a savepoint
    /// when --savepoint-on-stop is given).
    #[arg(long, value_name = "PATH", help_heading = "Job cluster")]
    pub job_jar: Option<PathBuf>,
    #[command(flatten)]
    pub job: JobOptions,
}

#[derive(Debug, Args)]
pub struct LocalDownArgs {
    #[command(flatten)]
    pub state: LocalStateArgs,
    /// Also remove the state directory (logs, Mesos work directory).
    #[arg(long)]
    pub purge: bool,
}

#[derive(Debug, Args)]
pub struct LocalLogsArgs {
    #[command(flatten)]
    pub state: LocalStateArgs,
    /// The component whose log to print (mesos, appmaster, jobmanager,
    /// taskmanager-00001, ...); without it, every log is listed.
    #[arg(value_name = "COMPONENT")]
    pub component: Option<String>,
    /// Print only the last N lines.
    #[arg(short = 'n', long, value_name = "N")]
    pub lines: Option<usize>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to write a completion script for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Directory to write the pages into.
    #[arg(long, value_name = "DIR", default_value = "man")]
    pub out_dir: PathBuf,
}

/// The clap command tree, for generators (man pages, completions, help snapshots).
pub fn command() -> clap::Command {
    Cli::command()
}

/// The job-cluster options `appmaster` and `marathon-json` share (after
/// their own `--job-jar`).
#[derive(Debug, Clone, Default, Args)]
pub struct JobOptions {
    /// The job's entry class (default: Main-Class of the JAR's manifest).
    #[arg(
        long,
        value_name = "CLASS",
        requires = "job_jar",
        help_heading = "Job cluster"
    )]
    pub job_classname: Option<String>,
    /// Start the job from this savepoint (or retained checkpoint).
    #[arg(
        long,
        value_name = "PATH",
        requires = "job_jar",
        help_heading = "Job cluster"
    )]
    pub from_savepoint: Option<String>,
    /// Allow savepoint state that maps to no operator of the new job.
    #[arg(long, requires = "from_savepoint", help_heading = "Job cluster")]
    pub allow_non_restored_state: bool,
    /// On SIGTERM/SIGINT, stop the job with a savepoint in this directory
    /// (a Flink file system URI), print its path and exit 0. Default:
    /// execution.checkpointing.savepoint-dir (state.savepoints.dir); with
    /// neither, the job is canceled (exit 7).
    #[arg(
        long,
        value_name = "DIR",
        requires = "job_jar",
        help_heading = "Job cluster"
    )]
    pub savepoint_on_stop: Option<String>,
    /// Arguments for the job's main method (after `--`).
    #[arg(
        last = true,
        value_name = "JOB ARGS",
        requires = "job_jar",
        help_heading = "Job cluster"
    )]
    pub job_args: Vec<String>,
}
