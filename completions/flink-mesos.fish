# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_flink_mesos_global_optspecs
    string join \n conf-dir= D= v/verbose q/quiet output= log-format= color= h/help V/version
end

function __fish_flink_mesos_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_flink_mesos_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_flink_mesos_using_subcommand
    set -l cmd (__fish_flink_mesos_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c flink-mesos -n "__fish_flink_mesos_needs_command" -l conf-dir -d 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf' -r -F
complete -c flink-mesos -n "__fish_flink_mesos_needs_command" -s D -d 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)' -r
complete -c flink-mesos -n "__fish_flink_mesos_needs_command" -l output -d 'Format of the data a command prints' -r -f -a "text\t''
json\t''
yaml\t'YAML (`workers` and `framework` commands)'"
complete -c flink-mesos -n "__fish_flink_mesos_needs_command" -l log-format -d 'Format of log lines on stderr' -r -f -a "text\t''
json\t''"
complete -c flink-mesos -n "__fish_flink_mesos_needs_command" -l color -d 'When to colour human output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c flink-mesos -n "__fish_flink_mesos_needs_command" -s v -l verbose -d 'More log output (-v: debug, -vv: trace)'
complete -c flink-mesos -n "__fish_flink_mesos_needs_command" -s q -l quiet -d 'Less output: errors only'
complete -c flink-mesos -n "__fish_flink_mesos_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flink-mesos -n "__fish_flink_mesos_needs_command" -s V -l version -d 'Print version'
complete -c flink-mesos -n "__fish_flink_mesos_needs_command" -f -a "appmaster" -d 'Run the application master: Mesos scheduler, worker supervision and the Flink JobManager'
complete -c flink-mesos -n "__fish_flink_mesos_needs_command" -f -a "taskmanager" -d 'Run a Flink TaskManager inside a Mesos task (what Mesos starts on each agent)'
complete -c flink-mesos -n "__fish_flink_mesos_needs_command" -f -a "validate-conf" -d 'Check the effective configuration and report every problem at once'
complete -c flink-mesos -n "__fish_flink_mesos_needs_command" -f -a "config" -d 'Inspect the effective configuration'
complete -c flink-mesos -n "__fish_flink_mesos_needs_command" -f -a "master" -d 'Show the leading Mesos master resolved from `mesos.master`'
complete -c flink-mesos -n "__fish_flink_mesos_needs_command" -f -a "workers" -d 'Inspect and repair the worker state persisted in ZooKeeper'
complete -c flink-mesos -n "__fish_flink_mesos_needs_command" -f -a "framework" -d 'Repair the framework state persisted in ZooKeeper'
complete -c flink-mesos -n "__fish_flink_mesos_needs_command" -f -a "marathon-json" -d 'Write a Marathon app definition that runs the appmaster'
complete -c flink-mesos -n "__fish_flink_mesos_needs_command" -f -a "local" -d 'Bring a whole Flink-on-Mesos cluster up or down on this machine'
complete -c flink-mesos -n "__fish_flink_mesos_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c flink-mesos -n "__fish_flink_mesos_needs_command" -f -a "man" -d 'Write man pages for flink-mesos and every subcommand'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand appmaster" -l flink-home -d 'The Flink distribution the JobManager runs from. Defaults to $FLINK_HOME, then to what scripts/fetch-flink.sh assembled' -r -F
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand appmaster" -l jobmanager-restarts -d 'How often the JobManager is restarted when it dies (within 10 minutes) before the appmaster stops the cluster and exits 1; 0 exits at the first death, e.g. to let Marathon restart the whole appmaster' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand appmaster" -l work-dir -d 'Directory for the JobManager\'s configuration and logs (default: the Mesos sandbox when run by Marathon, else ./flink-mesos-appmaster)' -r -F
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand appmaster" -l status-port -d 'Port of the /status and /metrics endpoint (default and 0: any free port; the address is printed at start)' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand appmaster" -l status-bind -d 'Address the status endpoint listens on' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand appmaster" -l job-jar -d 'Run a job cluster: the JobManager runs this JAR\'s job in Flink\'s application mode, the workers follow the job\'s demand, and the appmaster ends with the job (exit 0 when it finished, 6 when it failed, 7 when it was canceled). The JAR is checked first' -r -F
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand appmaster" -l job-classname -d 'The job\'s entry class (default: Main-Class of the JAR\'s manifest)' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand appmaster" -l from-savepoint -d 'Start the job from this savepoint (or retained checkpoint)' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand appmaster" -l savepoint-on-stop -d 'On SIGTERM/SIGINT, stop the job with a savepoint in this directory (a Flink file system URI), print its path and exit 0. Default: execution.checkpointing.savepoint-dir (state.savepoints.dir); with neither, the job is canceled (exit 7)' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand appmaster" -l conf-dir -d 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf' -r -F
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand appmaster" -s D -d 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand appmaster" -l output -d 'Format of the data a command prints' -r -f -a "text\t''
json\t''
yaml\t'YAML (`workers` and `framework` commands)'"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand appmaster" -l log-format -d 'Format of log lines on stderr' -r -f -a "text\t''
json\t''"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand appmaster" -l color -d 'When to colour human output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand appmaster" -l keep-framework -d 'On SIGTERM, leave the framework and its workers running for a failover within mesos.failover-timeout instead of tearing it down (a job cluster also leaves its job to the next JobManager, which recovers it with high availability)'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand appmaster" -l no-jobmanager -d 'Run the scheduler alone, for a JobManager that runs elsewhere (set jobmanager.rpc.address to it)'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand appmaster" -l allow-non-restored-state -d 'Allow savepoint state that maps to no operator of the new job'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand appmaster" -s v -l verbose -d 'More log output (-v: debug, -vv: trace)'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand appmaster" -s q -l quiet -d 'Less output: errors only'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand appmaster" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand appmaster" -s V -l version -d 'Print version'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand taskmanager" -l flink-home -d 'The Flink distribution to run (lib/flink-dist*.jar, conf/, bin/). Defaults to a distribution unpacked in the sandbox (e.g. fetched with mesos.resourcemanager.tasks.uris), then to what scripts/fetch-flink.sh assembled in ~/.cache/flink-mesos/flink-2.3.0' -r -F
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand taskmanager" -l sandbox -d 'Directory for the generated configuration, logs and temporary files. Defaults to the Mesos sandbox, else the working directory' -r -F
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand taskmanager" -l conf-dir -d 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf' -r -F
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand taskmanager" -s D -d 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand taskmanager" -l output -d 'Format of the data a command prints' -r -f -a "text\t''
json\t''
yaml\t'YAML (`workers` and `framework` commands)'"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand taskmanager" -l log-format -d 'Format of log lines on stderr' -r -f -a "text\t''
json\t''"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand taskmanager" -l color -d 'When to colour human output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand taskmanager" -l skip-bootstrap -d 'Do not run mesos.resourcemanager.tasks.bootstrap-cmd (it already ran)'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand taskmanager" -l output-files -d 'Write the JVM\'s stdout/stderr to taskmanager.out/.err in the sandbox instead of passing them through'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand taskmanager" -l dry-run -d 'Prepare everything (configuration file, memory flags) and print the TaskManager\'s command line instead of running it. Skips the bootstrap command'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand taskmanager" -s v -l verbose -d 'More log output (-v: debug, -vv: trace)'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand taskmanager" -s q -l quiet -d 'Less output: errors only'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand taskmanager" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand taskmanager" -s V -l version -d 'Print version'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand validate-conf" -l for -d 'What the configuration is meant for' -r -f -a "appmaster\t'The configuration the appmaster starts with (needs mesos.master)'
taskmanager\t'The configuration a TaskManager receives'"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand validate-conf" -l flink-version -d 'The Flink version the configuration is for (e.g. 1.18.1): also show the memory Flink gives the JobManager and each TaskManager, by Flink\'s own calculation, and what flink-mesos writes for that version' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand validate-conf" -l flink-home -d 'A Flink distribution: its version (from lib/flink-dist-*.jar), as with --flink-version' -r -F
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand validate-conf" -l conf-dir -d 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf' -r -F
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand validate-conf" -s D -d 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand validate-conf" -l output -d 'Format of the data a command prints' -r -f -a "text\t''
json\t''
yaml\t'YAML (`workers` and `framework` commands)'"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand validate-conf" -l log-format -d 'Format of log lines on stderr' -r -f -a "text\t''
json\t''"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand validate-conf" -l color -d 'When to colour human output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand validate-conf" -l strict -d 'Also warn about unknown keys outside `mesos.` and about deprecated keys'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand validate-conf" -s v -l verbose -d 'More log output (-v: debug, -vv: trace)'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand validate-conf" -s q -l quiet -d 'Less output: errors only'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand validate-conf" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand validate-conf" -s V -l version -d 'Print version'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand config; and not __fish_seen_subcommand_from show" -l conf-dir -d 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf' -r -F
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand config; and not __fish_seen_subcommand_from show" -s D -d 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand config; and not __fish_seen_subcommand_from show" -l output -d 'Format of the data a command prints' -r -f -a "text\t''
json\t''
yaml\t'YAML (`workers` and `framework` commands)'"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand config; and not __fish_seen_subcommand_from show" -l log-format -d 'Format of log lines on stderr' -r -f -a "text\t''
json\t''"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand config; and not __fish_seen_subcommand_from show" -l color -d 'When to colour human output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand config; and not __fish_seen_subcommand_from show" -s v -l verbose -d 'More log output (-v: debug, -vv: trace)'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand config; and not __fish_seen_subcommand_from show" -s q -l quiet -d 'Less output: errors only'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand config; and not __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand config; and not __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand config; and not __fish_seen_subcommand_from show" -f -a "show" -d 'Print the effective configuration with the source of every value (secrets masked)'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand config; and __fish_seen_subcommand_from show" -l conf-dir -d 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf' -r -F
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand config; and __fish_seen_subcommand_from show" -s D -d 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand config; and __fish_seen_subcommand_from show" -l output -d 'Format of the data a command prints' -r -f -a "text\t''
json\t''
yaml\t'YAML (`workers` and `framework` commands)'"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand config; and __fish_seen_subcommand_from show" -l log-format -d 'Format of log lines on stderr' -r -f -a "text\t''
json\t''"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand config; and __fish_seen_subcommand_from show" -l color -d 'When to colour human output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand config; and __fish_seen_subcommand_from show" -l all -d 'Also list declared options that nobody set and that have no default'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand config; and __fish_seen_subcommand_from show" -s v -l verbose -d 'More log output (-v: debug, -vv: trace)'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand config; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Less output: errors only'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand config; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand config; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand master" -l conf-dir -d 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf' -r -F
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand master" -s D -d 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand master" -l output -d 'Format of the data a command prints' -r -f -a "text\t''
json\t''
yaml\t'YAML (`workers` and `framework` commands)'"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand master" -l log-format -d 'Format of log lines on stderr' -r -f -a "text\t''
json\t''"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand master" -l color -d 'When to colour human output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand master" -s v -l verbose -d 'More log output (-v: debug, -vv: trace)'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand master" -s q -l quiet -d 'Less output: errors only'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand master" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand master" -s V -l version -d 'Print version'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and not __fish_seen_subcommand_from list show forget scale" -l conf-dir -d 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf' -r -F
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and not __fish_seen_subcommand_from list show forget scale" -s D -d 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and not __fish_seen_subcommand_from list show forget scale" -l output -d 'Format of the data a command prints' -r -f -a "text\t''
json\t''
yaml\t'YAML (`workers` and `framework` commands)'"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and not __fish_seen_subcommand_from list show forget scale" -l log-format -d 'Format of log lines on stderr' -r -f -a "text\t''
json\t''"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and not __fish_seen_subcommand_from list show forget scale" -l color -d 'When to colour human output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and not __fish_seen_subcommand_from list show forget scale" -s v -l verbose -d 'More log output (-v: debug, -vv: trace)'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and not __fish_seen_subcommand_from list show forget scale" -s q -l quiet -d 'Less output: errors only'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and not __fish_seen_subcommand_from list show forget scale" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and not __fish_seen_subcommand_from list show forget scale" -s V -l version -d 'Print version'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and not __fish_seen_subcommand_from list show forget scale" -f -a "list" -d 'List the workers persisted in ZooKeeper, with the framework id and the leading appmaster'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and not __fish_seen_subcommand_from list show forget scale" -f -a "show" -d 'Show one worker\'s stored record'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and not __fish_seen_subcommand_from list show forget scale" -f -a "forget" -d 'Remove one worker from the store (repair; its task, if any, is then killed as unknown by the next reconciliation)'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and not __fish_seen_subcommand_from list show forget scale" -f -a "scale" -d 'Set the floor of a running cluster: at least N workers, whatever the jobs\' demand (stored: it survives a restart or failover). Needs the admin token; waits until the workers run'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from list" -l interval -d 'Seconds between two refreshes with --watch' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from list" -l conf-dir -d 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf' -r -F
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from list" -s D -d 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from list" -l output -d 'Format of the data a command prints' -r -f -a "text\t''
json\t''
yaml\t'YAML (`workers` and `framework` commands)'"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from list" -l log-format -d 'Format of log lines on stderr' -r -f -a "text\t''
json\t''"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from list" -l color -d 'When to colour human output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from list" -l watch -d 'Refresh the list in place until interrupted'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More log output (-v: debug, -vv: trace)'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Less output: errors only'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from show" -l conf-dir -d 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf' -r -F
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from show" -s D -d 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from show" -l output -d 'Format of the data a command prints' -r -f -a "text\t''
json\t''
yaml\t'YAML (`workers` and `framework` commands)'"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from show" -l log-format -d 'Format of log lines on stderr' -r -f -a "text\t''
json\t''"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from show" -l color -d 'When to colour human output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from show" -s v -l verbose -d 'More log output (-v: debug, -vv: trace)'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Less output: errors only'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from forget" -l conf-dir -d 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf' -r -F
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from forget" -s D -d 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from forget" -l output -d 'Format of the data a command prints' -r -f -a "text\t''
json\t''
yaml\t'YAML (`workers` and `framework` commands)'"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from forget" -l log-format -d 'Format of log lines on stderr' -r -f -a "text\t''
json\t''"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from forget" -l color -d 'When to colour human output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from forget" -s y -l yes -d 'Do not ask for confirmation (for scripts)'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from forget" -l force -d 'Change the store even while an appmaster leads it (that appmaster gives the leadership up at its next conflicting write, and the store is read afresh by the next leader, possibly itself)'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from forget" -s v -l verbose -d 'More log output (-v: debug, -vv: trace)'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from forget" -s q -l quiet -d 'Less output: errors only'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from forget" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from forget" -s V -l version -d 'Print version'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from scale" -l appmaster -d 'The appmaster\'s status address (`host:port` or a URL, as printed at its start). Default with ZooKeeper high availability: the leader\'s' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from scale" -l token-file -d 'A file holding the admin token. Default: $FLINK_MESOS_ADMIN_TOKEN, then mesos.resourcemanager.admin-token, then <work dir>/admin-token' -r -F
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from scale" -l work-dir -d 'The appmaster\'s work directory, for its admin-token file (default: ./flink-mesos-appmaster)' -r -F
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from scale" -l timeout -d 'How long to wait until N workers run (e.g. `90 s`, `5 min`)' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from scale" -l conf-dir -d 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf' -r -F
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from scale" -s D -d 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from scale" -l output -d 'Format of the data a command prints' -r -f -a "text\t''
json\t''
yaml\t'YAML (`workers` and `framework` commands)'"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from scale" -l log-format -d 'Format of log lines on stderr' -r -f -a "text\t''
json\t''"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from scale" -l color -d 'When to colour human output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from scale" -l no-wait -d 'Return once the appmaster took the change, without waiting'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from scale" -s v -l verbose -d 'More log output (-v: debug, -vv: trace)'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from scale" -s q -l quiet -d 'Less output: errors only'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from scale" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand workers; and __fish_seen_subcommand_from scale" -s V -l version -d 'Print version'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand framework; and not __fish_seen_subcommand_from clear-id" -l conf-dir -d 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf' -r -F
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand framework; and not __fish_seen_subcommand_from clear-id" -s D -d 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand framework; and not __fish_seen_subcommand_from clear-id" -l output -d 'Format of the data a command prints' -r -f -a "text\t''
json\t''
yaml\t'YAML (`workers` and `framework` commands)'"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand framework; and not __fish_seen_subcommand_from clear-id" -l log-format -d 'Format of log lines on stderr' -r -f -a "text\t''
json\t''"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand framework; and not __fish_seen_subcommand_from clear-id" -l color -d 'When to colour human output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand framework; and not __fish_seen_subcommand_from clear-id" -s v -l verbose -d 'More log output (-v: debug, -vv: trace)'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand framework; and not __fish_seen_subcommand_from clear-id" -s q -l quiet -d 'Less output: errors only'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand framework; and not __fish_seen_subcommand_from clear-id" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand framework; and not __fish_seen_subcommand_from clear-id" -s V -l version -d 'Print version'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand framework; and not __fish_seen_subcommand_from clear-id" -f -a "clear-id" -d 'Forget the stored framework id, so that the next appmaster registers a new framework (e.g. after the master removed the old one)'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand framework; and __fish_seen_subcommand_from clear-id" -l conf-dir -d 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf' -r -F
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand framework; and __fish_seen_subcommand_from clear-id" -s D -d 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand framework; and __fish_seen_subcommand_from clear-id" -l output -d 'Format of the data a command prints' -r -f -a "text\t''
json\t''
yaml\t'YAML (`workers` and `framework` commands)'"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand framework; and __fish_seen_subcommand_from clear-id" -l log-format -d 'Format of log lines on stderr' -r -f -a "text\t''
json\t''"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand framework; and __fish_seen_subcommand_from clear-id" -l color -d 'When to colour human output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand framework; and __fish_seen_subcommand_from clear-id" -s y -l yes -d 'Do not ask for confirmation (for scripts)'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand framework; and __fish_seen_subcommand_from clear-id" -l force -d 'Change the store even while an appmaster leads it (that appmaster gives the leadership up at its next conflicting write, and the store is read afresh by the next leader, possibly itself)'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand framework; and __fish_seen_subcommand_from clear-id" -s v -l verbose -d 'More log output (-v: debug, -vv: trace)'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand framework; and __fish_seen_subcommand_from clear-id" -s q -l quiet -d 'Less output: errors only'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand framework; and __fish_seen_subcommand_from clear-id" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand framework; and __fish_seen_subcommand_from clear-id" -s V -l version -d 'Print version'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand marathon-json" -l id -d 'Marathon app id (default: derived from the framework name)' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand marathon-json" -l instances -d 'Number of appmaster instances: 1, or 0 to suspend the app; more only with ZooKeeper high availability (one leads, the others stand by)' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand marathon-json" -l docker-image -l image -d 'Run the appmaster in this Docker image (default: the TaskManagers\' container settings, if any). The TaskManagers run in it too unless `mesos.resourcemanager.tasks.container.image.name` is set' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand marathon-json" -l flink-home -d 'Flink distribution path on the Marathon agents: `flink-mesos appmaster --flink-home PATH` (default: $FLINK_HOME there), or with `--entrypoint script` where its bin/mesos-appmaster.sh is' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand marathon-json" -l entrypoint -d 'What the app runs: `flink-mesos appmaster` from the PATH of the agent or image, or `<flink-home>/bin/mesos-appmaster.sh` (a copy of commands/mesos-appmaster.sh: no Flink since 1.14 ships that script)' -r -f -a "script\t'`<flink-home>/bin/mesos-appmaster.sh`: commands/mesos-appmaster.sh copied there'
binary\t'`flink-mesos appmaster` (the default)'"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand marathon-json" -l cpus -d 'CPUs for the appmaster (the Mesos scheduler and the Flink JobManager)' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand marathon-json" -l disk -d 'Disk space for the appmaster\'s sandbox in MB' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand marathon-json" -l constraint -d 'A Marathon placement constraint, e.g. `hostname:UNIQUE` or `rack:LIKE:r[12]` (repeatable)' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand marathon-json" -l env -d 'An environment variable for the appmaster (repeatable; never a secret: see --secret-store)' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand marathon-json" -l label -d 'A Marathon label on the app (repeatable)' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand marathon-json" -l secret-store -d 'Reference secrets set through -D or the environment from Marathon\'s secret store under this path, instead of leaving them out' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand marathon-json" -l format -d 'Format of the app definition on stdout (--deploy always sends JSON)' -r -f -a "json\t''
yaml\t''"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand marathon-json" -l deploy -d 'Send the app definition to this Marathon (`PUT /v2/apps/{id}`) and print Marathon\'s answer instead of the definition' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand marathon-json" -l deploy-user -d 'User for HTTP basic authentication with Marathon; the password is read from $MARATHON_PASSWORD' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand marathon-json" -l deploy-ca -d 'PEM file with the CA certificate(s) that signed Marathon\'s HTTPS certificate' -r -F
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand marathon-json" -l job-jar -d 'A job cluster (`appmaster --job-jar`): the job JAR, as a path on the agents (or in the image), or a URI Marathon fetches into the sandbox' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand marathon-json" -l job-classname -d 'The job\'s entry class (default: Main-Class of the JAR\'s manifest)' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand marathon-json" -l from-savepoint -d 'Start the job from this savepoint (or retained checkpoint)' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand marathon-json" -l savepoint-on-stop -d 'On SIGTERM/SIGINT, stop the job with a savepoint in this directory (a Flink file system URI), print its path and exit 0. Default: execution.checkpointing.savepoint-dir (state.savepoints.dir); with neither, the job is canceled (exit 7)' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand marathon-json" -l conf-dir -d 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf' -r -F
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand marathon-json" -s D -d 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand marathon-json" -l output -d 'Format of the data a command prints' -r -f -a "text\t''
json\t''
yaml\t'YAML (`workers` and `framework` commands)'"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand marathon-json" -l log-format -d 'Format of log lines on stderr' -r -f -a "text\t''
json\t''"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand marathon-json" -l color -d 'When to colour human output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand marathon-json" -l inline-config -d 'Also put the values of the configuration file into `cmd`, for agents or images that do not have the file (secrets are still left out)'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand marathon-json" -l pretty -d 'Pretty-print the JSON'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand marathon-json" -l deploy-force -d 'Deploy even while another deployment of the app is in progress (`?force=true`)'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand marathon-json" -l allow-non-restored-state -d 'Allow savepoint state that maps to no operator of the new job'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand marathon-json" -s v -l verbose -d 'More log output (-v: debug, -vv: trace)'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand marathon-json" -s q -l quiet -d 'Less output: errors only'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand marathon-json" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand marathon-json" -s V -l version -d 'Print version'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and not __fish_seen_subcommand_from up down status logs" -l conf-dir -d 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf' -r -F
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and not __fish_seen_subcommand_from up down status logs" -s D -d 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and not __fish_seen_subcommand_from up down status logs" -l output -d 'Format of the data a command prints' -r -f -a "text\t''
json\t''
yaml\t'YAML (`workers` and `framework` commands)'"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and not __fish_seen_subcommand_from up down status logs" -l log-format -d 'Format of log lines on stderr' -r -f -a "text\t''
json\t''"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and not __fish_seen_subcommand_from up down status logs" -l color -d 'When to colour human output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and not __fish_seen_subcommand_from up down status logs" -s v -l verbose -d 'More log output (-v: debug, -vv: trace)'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and not __fish_seen_subcommand_from up down status logs" -s q -l quiet -d 'Less output: errors only'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and not __fish_seen_subcommand_from up down status logs" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and not __fish_seen_subcommand_from up down status logs" -s V -l version -d 'Print version'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and not __fish_seen_subcommand_from up down status logs" -f -a "up" -d 'Start a Mesos master + agent (genuine or embedded) and the appmaster with N TaskManagers and the Flink JobManager on this machine, wait until every TaskManager is registered, and print the web UIs'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and not __fish_seen_subcommand_from up down status logs" -f -a "down" -d 'Stop what `local up` started, in reverse order, by the pids it recorded (idempotent)'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and not __fish_seen_subcommand_from up down status logs" -f -a "status" -d 'Show each component of the local cluster: pid, port, health (exit 1 when a recorded component is unhealthy)'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and not __fish_seen_subcommand_from up down status logs" -f -a "logs" -d 'List the logs of the local cluster, or print one component\'s log'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from up" -l state-dir -d 'Where the cluster\'s record (state.json), logs and Mesos work directory live. Default: $XDG_STATE_HOME/flink-mesos/local, else ~/.local/state/flink-mesos/local' -r -F
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from up" -l workers -d 'Number of TaskManagers (Mesos tasks)' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from up" -l flink-home -d 'The Flink distribution. Defaults to $FLINK_HOME, then to what scripts/fetch-flink.sh assembled in ~/.cache/flink-mesos/flink-2.3.0' -r -F
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from up" -l mesos -d 'Which Mesos to run' -r -f -a "real\t'Genuine Mesos binaries (MESOS_HOME, PATH, or the build of scripts/install-deps.sh); an error when there are none'
embedded\t'The embedded single-node Mesos (master + agent in a flink-mesos process; tasks run as plain local processes): a development stand-in for one machine, no isolation or resource enforcement'
auto\t'Genuine Mesos when found, else the embedded one'"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from up" -l job-jar -d 'Run a job cluster (as `appmaster --job-jar`): the JobManager runs this JAR\'s job, --workers is the floor of TaskManagers, `up` returns once the job runs and `local status` shows its state; the cluster ends with the job (`local down` stops it first, with a savepoint when --savepoint-on-stop is given)' -r -F
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from up" -l job-classname -d 'The job\'s entry class (default: Main-Class of the JAR\'s manifest)' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from up" -l from-savepoint -d 'Start the job from this savepoint (or retained checkpoint)' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from up" -l savepoint-on-stop -d 'On SIGTERM/SIGINT, stop the job with a savepoint in this directory (a Flink file system URI), print its path and exit 0. Default: execution.checkpointing.savepoint-dir (state.savepoints.dir); with neither, the job is canceled (exit 7)' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from up" -l conf-dir -d 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf' -r -F
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from up" -s D -d 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from up" -l output -d 'Format of the data a command prints' -r -f -a "text\t''
json\t''
yaml\t'YAML (`workers` and `framework` commands)'"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from up" -l log-format -d 'Format of log lines on stderr' -r -f -a "text\t''
json\t''"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from up" -l color -d 'When to colour human output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from up" -l ha -d 'Also start ZooKeeper (Debian\'s package) and run with high availability: the worker store, leader election and Flink\'s own HA'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from up" -l allow-non-restored-state -d 'Allow savepoint state that maps to no operator of the new job'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from up" -s v -l verbose -d 'More log output (-v: debug, -vv: trace)'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from up" -s q -l quiet -d 'Less output: errors only'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from up" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from up" -s V -l version -d 'Print version'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from down" -l state-dir -d 'Where the cluster\'s record (state.json), logs and Mesos work directory live. Default: $XDG_STATE_HOME/flink-mesos/local, else ~/.local/state/flink-mesos/local' -r -F
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from down" -l conf-dir -d 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf' -r -F
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from down" -s D -d 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from down" -l output -d 'Format of the data a command prints' -r -f -a "text\t''
json\t''
yaml\t'YAML (`workers` and `framework` commands)'"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from down" -l log-format -d 'Format of log lines on stderr' -r -f -a "text\t''
json\t''"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from down" -l color -d 'When to colour human output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from down" -l purge -d 'Also remove the state directory (logs, Mesos work directory)'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from down" -s v -l verbose -d 'More log output (-v: debug, -vv: trace)'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from down" -s q -l quiet -d 'Less output: errors only'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from down" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from down" -s V -l version -d 'Print version'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from status" -l state-dir -d 'Where the cluster\'s record (state.json), logs and Mesos work directory live. Default: $XDG_STATE_HOME/flink-mesos/local, else ~/.local/state/flink-mesos/local' -r -F
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from status" -l conf-dir -d 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf' -r -F
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from status" -s D -d 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from status" -l output -d 'Format of the data a command prints' -r -f -a "text\t''
json\t''
yaml\t'YAML (`workers` and `framework` commands)'"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from status" -l log-format -d 'Format of log lines on stderr' -r -f -a "text\t''
json\t''"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from status" -l color -d 'When to colour human output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from status" -s v -l verbose -d 'More log output (-v: debug, -vv: trace)'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from status" -s q -l quiet -d 'Less output: errors only'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from status" -s V -l version -d 'Print version'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from logs" -l state-dir -d 'Where the cluster\'s record (state.json), logs and Mesos work directory live. Default: $XDG_STATE_HOME/flink-mesos/local, else ~/.local/state/flink-mesos/local' -r -F
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from logs" -s n -l lines -d 'Print only the last N lines' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from logs" -l conf-dir -d 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf' -r -F
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from logs" -s D -d 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from logs" -l output -d 'Format of the data a command prints' -r -f -a "text\t''
json\t''
yaml\t'YAML (`workers` and `framework` commands)'"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from logs" -l log-format -d 'Format of log lines on stderr' -r -f -a "text\t''
json\t''"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from logs" -l color -d 'When to colour human output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from logs" -s v -l verbose -d 'More log output (-v: debug, -vv: trace)'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from logs" -s q -l quiet -d 'Less output: errors only'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from logs" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand local; and __fish_seen_subcommand_from logs" -s V -l version -d 'Print version'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand completions" -l conf-dir -d 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf' -r -F
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand completions" -s D -d 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand completions" -l output -d 'Format of the data a command prints' -r -f -a "text\t''
json\t''
yaml\t'YAML (`workers` and `framework` commands)'"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand completions" -l log-format -d 'Format of log lines on stderr' -r -f -a "text\t''
json\t''"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand completions" -l color -d 'When to colour human output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand completions" -s v -l verbose -d 'More log output (-v: debug, -vv: trace)'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand completions" -s q -l quiet -d 'Less output: errors only'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand completions" -s V -l version -d 'Print version'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand man" -l out-dir -d 'Directory to write the pages into' -r -F
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand man" -l conf-dir -d 'Directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Flink 1.x). Defaults to $FLINK_CONF_DIR, then ./conf' -r -F
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand man" -s D -d 'Dynamic property, highest precedence: -Dkey=value or -D key=value (repeatable)' -r
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand man" -l output -d 'Format of the data a command prints' -r -f -a "text\t''
json\t''
yaml\t'YAML (`workers` and `framework` commands)'"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand man" -l log-format -d 'Format of log lines on stderr' -r -f -a "text\t''
json\t''"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand man" -l color -d 'When to colour human output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand man" -s v -l verbose -d 'More log output (-v: debug, -vv: trace)'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand man" -s q -l quiet -d 'Less output: errors only'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand man" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flink-mesos -n "__fish_flink_mesos_using_subcommand man" -s V -l version -d 'Print version'
