// An unbounded streaming job for job clusters (`flink-mesos appmaster
// --job-jar`): a sequence that never ends in practice, slowed down by a
// sleep per record, so that it runs until it is stopped (stop-with-savepoint,
// cancel). Its source is Flink's checkpointable number sequence, so a
// savepoint holds its position. Build it against any Flink 2.x distribution:
//   javac -cp "$FLINK_HOME/lib/*" -d classes examples/jobs/UnboundedJob.java
//   jar cfe unbounded-job.jar UnboundedJob -C classes .
//   flink-mesos appmaster --job-jar unbounded-job.jar --savepoint-on-stop file:///tmp/savepoints
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

public class UnboundedJob {
    public static void main(String[] args) throws Exception {
        long sleepMs = args.length > 0 ? Long.parseLong(args[0]) : 10;
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.fromSequence(1, Long.MAX_VALUE)
            .map(new MapFunction<Long, Long>() {
                public Long map(Long x) throws Exception {
                    Thread.sleep(sleepMs);
                    return x;
                }
            })
            .filter(x -> x % 1000 == 0)
            .print();
        env.execute("flink-mesos unbounded job");
    }
}
