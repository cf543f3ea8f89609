// The example job of scripts/demo.sh: a small streaming pipeline
// (sequence -> map -> rebalance -> filter -> print). Build it against any Flink 2.x
// distribution:
//   javac -cp "$FLINK_HOME/lib/*" -d classes examples/jobs/SmallJob.java
//   jar cf small-job.jar -C classes .
//   "$FLINK_HOME/bin/flink" run -m 127.0.0.1:<rest port> -c SmallJob small-job.jar
import org.apache.flink.api.common.functions.FilterFunction;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

public class SmallJob {
    public static void main(String[] args) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.fromSequence(1, 10000)
            .map(new MapFunction<Long, Long>() {
                public Long map(Long x) { return x * 2; }
            })
            // An all-to-all exchange: with parallelism > 1 the job's subtasks
            // form one pipelined region and run at the same time (each on its
            // own slot), as most real jobs do.
            .rebalance()
            .filter(new FilterFunction<Long>() {
                public boolean filter(Long x) { return x % 1000 == 0; }
            })
            .print();
        env.execute("flink-mesos small job");
    }
}
