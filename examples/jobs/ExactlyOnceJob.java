// A bounded job with an exactly-once file sink, for job clusters under
// high availability (`flink-mesos appmaster --job-jar … -Dhigh-availability.type=zookeeper`):
// the numbers 1..COUNT, slowed down by a sleep per record, written one per
// line by Flink's FileSink. With checkpointing on, the sink commits its part
// files when a checkpoint completes (a new part file per checkpoint), and
// after a failover the job resumes from its latest checkpoint: the sink's
// committed output (the part files whose name does not start with a dot)
// then holds every number exactly once, whatever was killed meanwhile.
// Build it against any Flink 1.18+ distribution:
//   javac -cp "$FLINK_HOME/lib/*" -d classes examples/jobs/ExactlyOnceJob.java
//   jar cfe exactly-once-job.jar ExactlyOnceJob -C classes .
//   flink-mesos appmaster --job-jar exactly-once-job.jar \
//       -Dexecution.checkpointing.interval='1 s' -- 3000 10 file:///tmp/exactly-once-out
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.serialization.SimpleStringEncoder;
import org.apache.flink.connector.file.sink.FileSink;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.filesystem.rollingpolicies.OnCheckpointRollingPolicy;

public class ExactlyOnceJob {
    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            throw new IllegalArgumentException("usage: ExactlyOnceJob COUNT SLEEP_MS OUTPUT_DIR");
        }
        long count = Long.parseLong(args[0]);
        long sleepMs = Long.parseLong(args[1]);
        String output = args[2];
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        FileSink<Long> sink = FileSink
            .forRowFormat(new Path(output), new SimpleStringEncoder<Long>("UTF-8"))
            .withRollingPolicy(OnCheckpointRollingPolicy.build())
            .build();
        env.fromSequence(1, count)
            .map(new MapFunction<Long, Long>() {
                public Long map(Long x) throws Exception {
                    Thread.sleep(sleepMs);
                    return x;
                }
            })
            .sinkTo(sink);
        env.execute("flink-mesos exactly-once job");
    }
}
