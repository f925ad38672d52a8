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
class CountingReceiver : public ImportReceiver {
 public:
  explicit CountingReceiver(ImportReceiver& inner) : inner_(inner) {}
  bool alreadyImported(const std::string& source, const std::string& fingerprint) override {
    return inner_.alreadyImported(source, fingerprint);
  }
  void part(ImportBatch& batch) override {
    marks += static_cast<int64_t>(batch.marks.size() + batch.totals.size());
    inner_.part(batch);
  }
  void finish(ImportBatch&& batch) override {
    marks += static_cast<int64_t>(batch.marks.size() + batch.totals.size());
    rows = batch.rows;
    problems = batch.problems.size();
    inner_.finish(std::move(batch));
  }
  const PupilDirectory& directory() const override { return inner_.directory(); }
  std::optional<std::string> sourceState(const std::string& source,
                                         const std::string& key) override {
    return inner_.sourceState(source, key);
  }
  int64_t marks = 0;
  int rows = 0;
  std::size_t problems = 0;

 private:
  ImportReceiver& inner_;
};

}  // namespace

std::optional<SourceFile> readSourceFile(const std::filesystem::path& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = std::string("cannot open: ") + std::strerror(errno);
    return std::nullopt;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  SourceFile file{buffer.str(), {}};
  file.fingerprint = contentFingerprint(file.bytes);
  return file;
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
