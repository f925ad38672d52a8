#include "connectors/inbound/common/drop_folder.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <fstream>

#include "core/domain/logging.h"

namespace markbridge {
namespace {

namespace fs = std::filesystem;

// Passes everything on and remembers how the input ended.
class Outcome : public ForwardingReceiver {
 public:
  using ForwardingReceiver::ForwardingReceiver;
  void finish(ImportBatch&& batch) override {
    problems = batch.problems;
    finished = true;
    ForwardingReceiver::finish(std::move(batch));
  }
  std::vector<Problem> problems;
  bool finished = false;
};

bool ignored(const fs::path& file) {
  auto name = file.filename().string();
  for (const char* suffix : {".tmp", ".part", ".crdownload", ".error.txt"})
    if (name.size() >= std::string_view(suffix).size() &&
        name.compare(name.size() - std::string_view(suffix).size(), std::string::npos, suffix) == 0)
      return true;
  return name.empty() || name[0] == '.' || name[0] == '~';
}

// Moves `file` into `folder`, never over an earlier file of the same name.
fs::path moveInto(const fs::path& file, const fs::path& folder) {
  fs::create_directories(folder);
  auto target = folder / file.filename();
  for (int n = 1; fs::exists(target); ++n)
    target = folder / (file.stem().string() + "." + std::to_string(n) + file.extension().string());
  fs::rename(file, target);
  return target;
}

}  // namespace

void pullFiles(const FileSourceConfig& config, ImportReceiver& into, const ReadFile& read) {
  for (const auto& file : config.files) read(file, into);
  if (config.drop_folder.empty()) return;
  auto log = namedLogger(config.name);
  std::error_code error;
  std::vector<fs::path> waiting;
  for (const auto& entry : fs::directory_iterator(config.drop_folder, error))
    if (entry.is_regular_file() && !ignored(entry.path())) waiting.push_back(entry.path());
  if (error) {
    log->error("cannot read drop folder {}: {}", config.drop_folder.string(), error.message());
    return;
  }
  std::sort(waiting.begin(), waiting.end());  // oldest names first, e.g. dated exports
  auto settled = fs::file_time_type::clock::now() - std::chrono::seconds(config.settle_seconds);
  for (const auto& file : waiting) {
    auto modified = fs::last_write_time(file, error);
    if (error || modified > settled) {
      log->info("{}: still being written, left for the next sync", file.filename().string());
      continue;
    }
    Outcome outcome(into);
    read(file, outcome);
    if (!outcome.finished) continue;
    if (outcome.problems.empty()) {
      moveInto(file, config.drop_folder / "archive");
      continue;
    }
    auto moved = moveInto(file, config.drop_folder / "quarantine");
    std::ofstream sidecar(moved.string() + ".error.txt");
    sidecar << "markbridge refused " << file.filename().string() << " (source " << config.name
            << "); nothing from it was stored. Fix the export and drop it again.\n";
    for (const auto& problem : outcome.problems) sidecar << problem.str() << "\n";
    log->warn("{}: quarantined with {} problem(s)", file.filename().string(),
              outcome.problems.size());
  }
}

}  // namespace markbridge
