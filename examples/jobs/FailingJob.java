// A job that fails: its map throws at record 42, so that with
// `restart-strategy.type: none` the job ends FAILED with that exception as
// its root cause. For the job-cluster tests (`flink-mesos appmaster
// --job-jar`): the appmaster exits with the FAILED code and prints the cause.
//   javac -cp "$FLINK_HOME/lib/*" -d classes examples/jobs/FailingJob.java
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

public class FailingJob {
    public static void main(String[] args) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.fromSequence(1, 1000)
            .map(new MapFunction<Long, Long>() {
                public Long map(Long x) {
                    if (x == 42) {
                        throw new IllegalStateException("flink-mesos test failure at record 42");
                    }
                    return x;
                }
            })
            .print();
        env.execute("flink-mesos failing job");
    }
}
