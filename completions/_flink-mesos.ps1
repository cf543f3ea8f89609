
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'flink-mesos' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'flink-mesos'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'flink-mesos' {
            [CompletionResult]::new('--conf-dir', '--conf-dir', [CompletionResultType]::ParameterName, 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf')
            [CompletionResult]::new('-D', '-D ', [CompletionResultType]::ParameterName, 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Format of the data a command prints')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of log lines on stderr')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour human output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('appmaster', 'appmaster', [CompletionResultType]::ParameterValue, 'Run the application master: Mesos scheduler, worker supervision and the Flink JobManager')
            [CompletionResult]::new('taskmanager', 'taskmanager', [CompletionResultType]::ParameterValue, 'Run a Flink TaskManager inside a Mesos task (what Mesos starts on each agent)')
            [CompletionResult]::new('validate-conf', 'validate-conf', [CompletionResultType]::ParameterValue, 'Check the effective configuration and report every problem at once')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Inspect the effective configuration')
            [CompletionResult]::new('master', 'master', [CompletionResultType]::ParameterValue, 'Show the leading Mesos master resolved from `mesos.master`')
            [CompletionResult]::new('workers', 'workers', [CompletionResultType]::ParameterValue, 'Inspect and repair the worker state persisted in ZooKeeper')
            [CompletionResult]::new('framework', 'framework', [CompletionResultType]::ParameterValue, 'Repair the framework state persisted in ZooKeeper')
            [CompletionResult]::new('marathon-json', 'marathon-json', [CompletionResultType]::ParameterValue, 'Write a Marathon app definition that runs the appmaster')
            [CompletionResult]::new('local', 'local', [CompletionResultType]::ParameterValue, 'Bring a whole Flink-on-Mesos cluster up or down on this machine')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Write man pages for flink-mesos and every subcommand')
            break
        }
        'flink-mesos;appmaster' {
            [CompletionResult]::new('--flink-home', '--flink-home', [CompletionResultType]::ParameterName, 'The Flink distribution the JobManager runs from. Defaults to $FLINK_HOME, then to what scripts/fetch-flink.sh assembled')
            [CompletionResult]::new('--jobmanager-restarts', '--jobmanager-restarts', [CompletionResultType]::ParameterName, 'How often the JobManager is restarted when it dies (within 10 minutes) before the appmaster stops the cluster and exits 1; 0 exits at the first death, e.g. to let Marathon restart the whole appmaster')
            [CompletionResult]::new('--work-dir', '--work-dir', [CompletionResultType]::ParameterName, 'Directory for the JobManager''s configuration and logs (default: the Mesos sandbox when run by Marathon, else ./flink-mesos-appmaster)')
            [CompletionResult]::new('--status-port', '--status-port', [CompletionResultType]::ParameterName, 'Port of the /status and /metrics endpoint (default and 0: any free port; the address is printed at start)')
            [CompletionResult]::new('--status-bind', '--status-bind', [CompletionResultType]::ParameterName, 'Address the status endpoint listens on')
            [CompletionResult]::new('--conf-dir', '--conf-dir', [CompletionResultType]::ParameterName, 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf')
            [CompletionResult]::new('-D', '-D ', [CompletionResultType]::ParameterName, 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Format of the data a command prints')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of log lines on stderr')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour human output')
            [CompletionResult]::new('--keep-framework', '--keep-framework', [CompletionResultType]::ParameterName, 'On SIGTERM, leave the framework and its workers running for a failover within mesos.failover-timeout instead of tearing it down')
            [CompletionResult]::new('--no-jobmanager', '--no-jobmanager', [CompletionResultType]::ParameterName, 'Run the scheduler alone, for a JobManager that runs elsewhere (set jobmanager.rpc.address to it)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'flink-mesos;taskmanager' {
            [CompletionResult]::new('--flink-home', '--flink-home', [CompletionResultType]::ParameterName, 'The Flink distribution to run (lib/flink-dist*.jar, conf/, bin/). Defaults to a distribution unpacked in the sandbox (e.g. fetched with mesos.resourcemanager.tasks.uris), then to what scripts/fetch-flink.sh assembled in ~/.cache/flink-mesos/flink-2.3.0')
            [CompletionResult]::new('--sandbox', '--sandbox', [CompletionResultType]::ParameterName, 'Directory for the generated configuration, logs and temporary files. Defaults to the Mesos sandbox, else the working directory')
            [CompletionResult]::new('--conf-dir', '--conf-dir', [CompletionResultType]::ParameterName, 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf')
            [CompletionResult]::new('-D', '-D ', [CompletionResultType]::ParameterName, 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Format of the data a command prints')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of log lines on stderr')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour human output')
            [CompletionResult]::new('--skip-bootstrap', '--skip-bootstrap', [CompletionResultType]::ParameterName, 'Do not run mesos.resourcemanager.tasks.bootstrap-cmd (it already ran)')
            [CompletionResult]::new('--output-files', '--output-files', [CompletionResultType]::ParameterName, 'Write the JVM''s stdout/stderr to taskmanager.out/.err in the sandbox instead of passing them through')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Prepare everything (configuration file, memory flags) and print the TaskManager''s command line instead of running it. Skips the bootstrap command')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'flink-mesos;validate-conf' {
            [CompletionResult]::new('--for', '--for', [CompletionResultType]::ParameterName, 'What the configuration is meant for')
            [CompletionResult]::new('--conf-dir', '--conf-dir', [CompletionResultType]::ParameterName, 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf')
            [CompletionResult]::new('-D', '-D ', [CompletionResultType]::ParameterName, 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Format of the data a command prints')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of log lines on stderr')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour human output')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Also warn about unknown keys outside `mesos.` and about deprecated keys')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'flink-mesos;config' {
            [CompletionResult]::new('--conf-dir', '--conf-dir', [CompletionResultType]::ParameterName, 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf')
            [CompletionResult]::new('-D', '-D ', [CompletionResultType]::ParameterName, 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Format of the data a command prints')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of log lines on stderr')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour human output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print the effective configuration with the source of every value (secrets masked)')
            break
        }
        'flink-mesos;config;show' {
            [CompletionResult]::new('--conf-dir', '--conf-dir', [CompletionResultType]::ParameterName, 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf')
            [CompletionResult]::new('-D', '-D ', [CompletionResultType]::ParameterName, 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Format of the data a command prints')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of log lines on stderr')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour human output')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Also list declared options that nobody set and that have no default')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'flink-mesos;master' {
            [CompletionResult]::new('--conf-dir', '--conf-dir', [CompletionResultType]::ParameterName, 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf')
            [CompletionResult]::new('-D', '-D ', [CompletionResultType]::ParameterName, 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Format of the data a command prints')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of log lines on stderr')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour human output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'flink-mesos;workers' {
            [CompletionResult]::new('--conf-dir', '--conf-dir', [CompletionResultType]::ParameterName, 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf')
            [CompletionResult]::new('-D', '-D ', [CompletionResultType]::ParameterName, 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Format of the data a command prints')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of log lines on stderr')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour human output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the workers persisted in ZooKeeper, with the framework id and the leading appmaster')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one worker''s stored record')
            [CompletionResult]::new('forget', 'forget', [CompletionResultType]::ParameterValue, 'Remove one worker from the store (repair; its task, if any, is then killed as unknown by the next reconciliation)')
            [CompletionResult]::new('scale', 'scale', [CompletionResultType]::ParameterValue, 'Set the floor of a running cluster: at least N workers, whatever the jobs'' demand (stored: it survives a restart or failover). Needs the admin token; waits until the workers run')
            break
        }
        'flink-mesos;workers;list' {
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Seconds between two refreshes with --watch')
            [CompletionResult]::new('--conf-dir', '--conf-dir', [CompletionResultType]::ParameterName, 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf')
            [CompletionResult]::new('-D', '-D ', [CompletionResultType]::ParameterName, 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Format of the data a command prints')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of log lines on stderr')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour human output')
            [CompletionResult]::new('--watch', '--watch', [CompletionResultType]::ParameterName, 'Refresh the list in place until interrupted')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'flink-mesos;workers;show' {
            [CompletionResult]::new('--conf-dir', '--conf-dir', [CompletionResultType]::ParameterName, 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf')
            [CompletionResult]::new('-D', '-D ', [CompletionResultType]::ParameterName, 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Format of the data a command prints')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of log lines on stderr')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour human output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'flink-mesos;workers;forget' {
            [CompletionResult]::new('--conf-dir', '--conf-dir', [CompletionResultType]::ParameterName, 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf')
            [CompletionResult]::new('-D', '-D ', [CompletionResultType]::ParameterName, 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Format of the data a command prints')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of log lines on stderr')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour human output')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (for scripts)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (for scripts)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Change the store even while an appmaster leads it (that appmaster gives the leadership up at its next conflicting write, and the store is read afresh by the next leader, possibly itself)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'flink-mesos;workers;scale' {
            [CompletionResult]::new('--appmaster', '--appmaster', [CompletionResultType]::ParameterName, 'The appmaster''s status address (`host:port` or a URL, as printed at its start). Default with ZooKeeper high availability: the leader''s')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'A file holding the admin token. Default: $FLINK_MESOS_ADMIN_TOKEN, then mesos.resourcemanager.admin-token, then <work dir>/admin-token')
            [CompletionResult]::new('--work-dir', '--work-dir', [CompletionResultType]::ParameterName, 'The appmaster''s work directory, for its admin-token file (default: ./flink-mesos-appmaster)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait until N workers run (e.g. `90 s`, `5 min`)')
            [CompletionResult]::new('--conf-dir', '--conf-dir', [CompletionResultType]::ParameterName, 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf')
            [CompletionResult]::new('-D', '-D ', [CompletionResultType]::ParameterName, 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Format of the data a command prints')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of log lines on stderr')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour human output')
            [CompletionResult]::new('--no-wait', '--no-wait', [CompletionResultType]::ParameterName, 'Return once the appmaster took the change, without waiting')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'flink-mesos;framework' {
            [CompletionResult]::new('--conf-dir', '--conf-dir', [CompletionResultType]::ParameterName, 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf')
            [CompletionResult]::new('-D', '-D ', [CompletionResultType]::ParameterName, 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Format of the data a command prints')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of log lines on stderr')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour human output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('clear-id', 'clear-id', [CompletionResultType]::ParameterValue, 'Forget the stored framework id, so that the next appmaster registers a new framework (e.g. after the master removed the old one)')
            break
        }
        'flink-mesos;framework;clear-id' {
            [CompletionResult]::new('--conf-dir', '--conf-dir', [CompletionResultType]::ParameterName, 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf')
            [CompletionResult]::new('-D', '-D ', [CompletionResultType]::ParameterName, 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Format of the data a command prints')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of log lines on stderr')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour human output')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (for scripts)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (for scripts)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Change the store even while an appmaster leads it (that appmaster gives the leadership up at its next conflicting write, and the store is read afresh by the next leader, possibly itself)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'flink-mesos;marathon-json' {
            [CompletionResult]::new('--id', '--id', [CompletionResultType]::ParameterName, 'Marathon app id (default: derived from the framework name)')
            [CompletionResult]::new('--instances', '--instances', [CompletionResultType]::ParameterName, 'Number of appmaster instances: 1, or 0 to suspend the app; more only with ZooKeeper high availability (one leads, the others stand by)')
            [CompletionResult]::new('--docker-image', '--docker-image', [CompletionResultType]::ParameterName, 'Run the appmaster in this Docker image (default: the TaskManagers'' container settings, if any)')
            [CompletionResult]::new('--image', '--image', [CompletionResultType]::ParameterName, 'Run the appmaster in this Docker image (default: the TaskManagers'' container settings, if any)')
            [CompletionResult]::new('--flink-home', '--flink-home', [CompletionResultType]::ParameterName, 'Flink distribution path on the Marathon agents (default: $FLINK_HOME there)')
            [CompletionResult]::new('--entrypoint', '--entrypoint', [CompletionResultType]::ParameterName, 'What the app runs: `<flink-home>/bin/mesos-appmaster.sh`, or `flink-mesos appmaster` from the PATH of the agent or image')
            [CompletionResult]::new('--cpus', '--cpus', [CompletionResultType]::ParameterName, 'CPUs for the appmaster (the Mesos scheduler and the Flink JobManager)')
            [CompletionResult]::new('--disk', '--disk', [CompletionResultType]::ParameterName, 'Disk space for the appmaster''s sandbox in MB')
            [CompletionResult]::new('--constraint', '--constraint', [CompletionResultType]::ParameterName, 'A Marathon placement constraint, e.g. `hostname:UNIQUE` or `rack:LIKE:r[12]` (repeatable)')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'An environment variable for the appmaster (repeatable; never a secret: see --secret-store)')
            [CompletionResult]::new('--label', '--label', [CompletionResultType]::ParameterName, 'A Marathon label on the app (repeatable)')
            [CompletionResult]::new('--secret-store', '--secret-store', [CompletionResultType]::ParameterName, 'Reference secrets set through -D or the environment from Marathon''s secret store under this path, instead of leaving them out')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Format of the app definition on stdout (--deploy always sends JSON)')
            [CompletionResult]::new('--deploy', '--deploy', [CompletionResultType]::ParameterName, 'Send the app definition to this Marathon (`PUT /v2/apps/{id}`) and print Marathon''s answer instead of the definition')
            [CompletionResult]::new('--deploy-user', '--deploy-user', [CompletionResultType]::ParameterName, 'User for HTTP basic authentication with Marathon; the password is read from $MARATHON_PASSWORD')
            [CompletionResult]::new('--deploy-ca', '--deploy-ca', [CompletionResultType]::ParameterName, 'PEM file with the CA certificate(s) that signed Marathon''s HTTPS certificate')
            [CompletionResult]::new('--conf-dir', '--conf-dir', [CompletionResultType]::ParameterName, 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf')
            [CompletionResult]::new('-D', '-D ', [CompletionResultType]::ParameterName, 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Format of the data a command prints')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of log lines on stderr')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour human output')
            [CompletionResult]::new('--inline-config', '--inline-config', [CompletionResultType]::ParameterName, 'Also put the values of the configuration file into `cmd`, for agents or images that do not have the file (secrets are still left out)')
            [CompletionResult]::new('--pretty', '--pretty', [CompletionResultType]::ParameterName, 'Pretty-print the JSON')
            [CompletionResult]::new('--deploy-force', '--deploy-force', [CompletionResultType]::ParameterName, 'Deploy even while another deployment of the app is in progress (`?force=true`)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'flink-mesos;local' {
            [CompletionResult]::new('--conf-dir', '--conf-dir', [CompletionResultType]::ParameterName, 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf')
            [CompletionResult]::new('-D', '-D ', [CompletionResultType]::ParameterName, 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Format of the data a command prints')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of log lines on stderr')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour human output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('up', 'up', [CompletionResultType]::ParameterValue, 'Start a Mesos master + agent (genuine or embedded) and the appmaster with N TaskManagers and the Flink JobManager on this machine, wait until every TaskManager is registered, and print the web UIs')
            [CompletionResult]::new('down', 'down', [CompletionResultType]::ParameterValue, 'Stop what `local up` started, in reverse order, by the pids it recorded (idempotent)')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show each component of the local cluster: pid, port, health (exit 1 when a recorded component is unhealthy)')
            [CompletionResult]::new('logs', 'logs', [CompletionResultType]::ParameterValue, 'List the logs of the local cluster, or print one component''s log')
            break
        }
        'flink-mesos;local;up' {
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where the cluster''s record (state.json), logs and Mesos work directory live. Default: $XDG_STATE_HOME/flink-mesos/local, else ~/.local/state/flink-mesos/local')
            [CompletionResult]::new('--workers', '--workers', [CompletionResultType]::ParameterName, 'Number of TaskManagers (Mesos tasks)')
            [CompletionResult]::new('--flink-home', '--flink-home', [CompletionResultType]::ParameterName, 'The Flink distribution. Defaults to $FLINK_HOME, then to what scripts/fetch-flink.sh assembled in ~/.cache/flink-mesos/flink-2.3.0')
            [CompletionResult]::new('--mesos', '--mesos', [CompletionResultType]::ParameterName, 'Which Mesos to run')
            [CompletionResult]::new('--conf-dir', '--conf-dir', [CompletionResultType]::ParameterName, 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf')
            [CompletionResult]::new('-D', '-D ', [CompletionResultType]::ParameterName, 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Format of the data a command prints')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of log lines on stderr')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour human output')
            [CompletionResult]::new('--ha', '--ha', [CompletionResultType]::ParameterName, 'Also start ZooKeeper (Debian''s package) and run with high availability: the worker store, leader election and Flink''s own HA')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'flink-mesos;local;down' {
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where the cluster''s record (state.json), logs and Mesos work directory live. Default: $XDG_STATE_HOME/flink-mesos/local, else ~/.local/state/flink-mesos/local')
            [CompletionResult]::new('--conf-dir', '--conf-dir', [CompletionResultType]::ParameterName, 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf')
            [CompletionResult]::new('-D', '-D ', [CompletionResultType]::ParameterName, 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Format of the data a command prints')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of log lines on stderr')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour human output')
            [CompletionResult]::new('--purge', '--purge', [CompletionResultType]::ParameterName, 'Also remove the state directory (logs, Mesos work directory)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'flink-mesos;local;status' {
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where the cluster''s record (state.json), logs and Mesos work directory live. Default: $XDG_STATE_HOME/flink-mesos/local, else ~/.local/state/flink-mesos/local')
            [CompletionResult]::new('--conf-dir', '--conf-dir', [CompletionResultType]::ParameterName, 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf')
            [CompletionResult]::new('-D', '-D ', [CompletionResultType]::ParameterName, 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Format of the data a command prints')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of log lines on stderr')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour human output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'flink-mesos;local;logs' {
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where the cluster''s record (state.json), logs and Mesos work directory live. Default: $XDG_STATE_HOME/flink-mesos/local, else ~/.local/state/flink-mesos/local')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Print only the last N lines')
            [CompletionResult]::new('--lines', '--lines', [CompletionResultType]::ParameterName, 'Print only the last N lines')
            [CompletionResult]::new('--conf-dir', '--conf-dir', [CompletionResultType]::ParameterName, 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf')
            [CompletionResult]::new('-D', '-D ', [CompletionResultType]::ParameterName, 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Format of the data a command prints')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of log lines on stderr')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour human output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'flink-mesos;completions' {
            [CompletionResult]::new('--conf-dir', '--conf-dir', [CompletionResultType]::ParameterName, 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf')
            [CompletionResult]::new('-D', '-D ', [CompletionResultType]::ParameterName, 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Format of the data a command prints')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of log lines on stderr')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour human output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'flink-mesos;man' {
            [CompletionResult]::new('--out-dir', '--out-dir', [CompletionResultType]::ParameterName, 'Directory to write the pages into')
            [CompletionResult]::new('--conf-dir', '--conf-dir', [CompletionResultType]::ParameterName, 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf')
            [CompletionResult]::new('-D', '-D ', [CompletionResultType]::ParameterName, 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Format of the data a command prints')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of log lines on stderr')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour human output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v: debug, -vv: trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output: errors only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
