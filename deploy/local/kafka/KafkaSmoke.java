// End-to-end check of the local broker, run by `deploy/local/kafka.sh smoke` as a Java 17
// single-file program against the cached Kafka jars (no build step):
//   java -cp "<libs>/*" deploy/local/kafka/KafkaSmoke.java 127.0.0.1:9092
// Creates a throw-away topic, produces one record, consumes it back in a consumer group,
// then deletes the topic. Exit code 0 on success.
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public class KafkaSmoke {
  public static void main(String[] args) throws Exception {
    String brokers = args.length > 0 ? args[0] : "127.0.0.1:9092";
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String topic = "local-smoke-" + suffix;
    String value = "hello-" + suffix;
    long t0 = System.nanoTime();

    Properties common = new Properties();
    common.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
    common.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 15000);

    try (Admin admin = Admin.create(common)) {
      String clusterId = admin.describeCluster().clusterId().get(15, TimeUnit.SECONDS);
      System.out.println("cluster id: " + clusterId);
      admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1))).all().get(15, TimeUnit.SECONDS);
      System.out.println("created topic " + topic + " (3 partitions)");

      Properties p = new Properties();
      p.putAll(common);
      p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
      p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
      p.put(ProducerConfig.ACKS_CONFIG, "all");
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
        var md = producer.send(new ProducerRecord<>(topic, "k", value)).get(15, TimeUnit.SECONDS);
        System.out.println("produced to partition " + md.partition() + " offset " + md.offset());
      }

      Properties c = new Properties();
      c.putAll(common);
      c.put(ConsumerConfig.GROUP_ID_CONFIG, "local-smoke-" + suffix);
      c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
      c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
      boolean found = false;
      try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c)) {
        consumer.subscribe(List.of(topic));
        long deadline = System.currentTimeMillis() + 30000;
        while (!found && System.currentTimeMillis() < deadline) {
          for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
            if (value.equals(r.value())) {
              found = true;
            }
          }
        }
        consumer.commitSync(Duration.ofSeconds(10));
      }
      admin.deleteConsumerGroups(List.of("local-smoke-" + suffix)).all().get(15, TimeUnit.SECONDS);
      admin.deleteTopics(List.of(topic)).all().get(15, TimeUnit.SECONDS);
      System.out.println("deleted topic " + topic);
      if (!found) {
        System.err.println("FAILED: record not consumed back within 30 s");
        System.exit(1);
      }
      System.out.printf("OK: produced and consumed one record in %d ms%n",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }
  }
}
