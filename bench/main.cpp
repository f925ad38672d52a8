// `markbridge-bench`: speed and memory figures, printed; never timed unit tests.

#include <cstdio>
#include <string>

#include "bench/measure.h"

int main(int argc, char** argv) {
  std::string command = argc > 1 ? argv[1] : "";
  if (command == "ingest") return markbridge::bench::ingestBench(argc, argv);
  if (command == "rules") return markbridge::bench::rulesBench(argc, argv);
  if (command == "delivery") return markbridge::bench::deliveryBench(argc, argv);
  if (command == "console") return markbridge::bench::consoleBench(argc, argv);
  if (command == "trust") return markbridge::bench::trustBench(argc, argv);
  std::fprintf(
      stderr,
      "usage: markbridge-bench ingest [--pupils N] [--sessions N] [--dir DIR] [--keep]\n"
      "                              [--postgres URI]\n"
      "       markbridge-bench rules [--pupils N] [--sessions N] [--dir DIR]\n"
      "       markbridge-bench delivery [--events N] [--latency MS] [--fail PCT] [--drop PCT]\n"
      "                                 [--in-flight N] [--postgres URI]\n"
      "       markbridge-bench console [--pupils N] [--sessions N] [--dir DIR]\n"
      "       markbridge-bench trust [--schools N] [--pupils-per-school M] [--workers 1,2,4]\n"
      "                              [--postgres URI] [--sessions N] [--dir DIR]\n");
  return 2;
}
