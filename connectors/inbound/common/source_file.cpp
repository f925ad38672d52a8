#include "connectors/inbound/common/source_file.h"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/domain/digest.h"
#include "core/domain/logging.h"

namespace markbridge {
namespace {

// Passes everything on, counting marks and noting the outcome for the log line.
class CountingReceiver : public ForwardingReceiver {
 public:
  using ForwardingReceiver::ForwardingReceiver;
  void part(ImportBatch& batch) override {
    marks += static_cast<int64_t>(batch.marks.size() + batch.totals.size());
    ForwardingReceiver::part(batch);
  }
  void finish(ImportBatch&& batch) override {
    marks += static_cast<int64_t>(batch.marks.size() + batch.totals.size());
    rows = batch.rows;
    problems = batch.problems.size();
    ForwardingReceiver::finish(std::move(batch));
  }
  int64_t marks = 0;
  int rows = 0;
  std::size_t problems = 0;
};

}  // namespace

std::optional<std::string> readSourceFile(const std::filesystem::path& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = std::string("cannot open: ") + std::strerror(errno);
    return std::nullopt;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::optional<std::string> fileFingerprint(const std::filesystem::path& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = std::string("cannot open: ") + std::strerror(errno);
    return std::nullopt;
  }
  ContentFingerprint sha;
  std::string block(std::size_t{1} << 20, '\0');
  while (in) {
    in.read(block.data(), static_cast<std::streamsize>(block.size()));
    sha.update(std::string_view(block.data(), static_cast<std::size_t>(in.gcount())));
  }
  if (in.bad()) {
    error = std::string("read failed: ") + std::strerror(errno);
    return std::nullopt;
  }
  return sha.hex();
}

void readInboundFile(const std::filesystem::path& file, const std::string& source,
                     ImportReceiver& into, ConnectorCounters& counters, const FileParser& parse) {
  auto log = namedLogger(source);
  std::string error;
  auto fingerprint = fileFingerprint(file, error);
  if (!fingerprint || into.alreadyImported(source, *fingerprint)) {
    ImportBatch batch;
    batch.source = source;
    batch.origin = file.string();
    if (fingerprint) {
      batch.fingerprint = *fingerprint;
      batch.skipped = true;
      log->info("{}: already imported, not read again", file.filename().string());
    } else {
      batch.problems.push_back(Problem{file.string(), 0, 0, "", "", error});
      ++counters.failures;
    }
    into.finish(std::move(batch));
    return;
  }
  CountingReceiver counting(into);
  parse(file, *fingerprint, counting);
  std::error_code ignored;
  counters.bytes += static_cast<int64_t>(std::filesystem::file_size(file, ignored));
  if (counting.problems == 0)
    counters.records += counting.marks;
  else
    ++counters.failures;
  log->info("read {}: {} rows, {} marks or totals, {} problems", file.filename().string(),
            counting.rows, counting.marks, counting.problems);
}

}  // namespace markbridge
