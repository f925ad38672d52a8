#include "connectors/inbound/common/drop_folder.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

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

// A folder the service writes into (archive/, quarantine/) must be a real folder inside the drop
// folder: a symbolic link there would make it write wherever the link points. Empty when safe.
std::string unsafeFolder(const fs::path& folder) {
  std::error_code error;
  auto status = fs::symlink_status(folder, error);
  if (error || status.type() == fs::file_type::not_found) return "";
  if (fs::is_symlink(status))
    return "is a symbolic link (to " + fs::read_symlink(folder, error).string() +
           "): the service never writes through a link out of the drop folder";
  if (!fs::is_directory(status)) return "is not a folder";
  return "";
}

// Moves `file` into `folder`, never over an earlier file of the same name. A symbolic link is
// moved as a link (rename never follows it).
fs::path moveInto(const fs::path& file, const fs::path& folder) {
  fs::create_directories(folder);
  auto target = folder / file.filename();
  for (int n = 1; fs::exists(fs::symlink_status(target)); ++n)
    target = folder / (file.stem().string() + "." + std::to_string(n) + file.extension().string());
  fs::rename(file, target);
  return target;
}

// Writes the sidecar without following a link someone left at its name.
void writeSidecar(const fs::path& path, const std::string& text) {
  std::error_code ignored;
  fs::remove(path, ignored);  // removes a link itself, never its target
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
  if (fd < 0) return;
  for (std::size_t done = 0; done < text.size();) {
    auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
}

// Hands on a refusal of `file` that was never read (so nothing from it is stored or copied).
void refuseUnread(const fs::path& file, const std::string& source, const std::string& why,
                  ImportReceiver& into) {
  ImportBatch batch;
  batch.source = source;
  batch.origin = file.string();
  batch.problems.push_back(Problem{file.string(), 0, 0, "", "", why});
  into.finish(std::move(batch));
}

}  // namespace

void pullFiles(const FileSourceConfig& config, ImportReceiver& into, const ReadFile& read) {
  for (const auto& file : config.files) read(file, into);
  if (config.drop_folder.empty()) return;
  auto log = namedLogger(config.name);
  const auto archive = config.drop_folder / "archive";
  const auto quarantine = config.drop_folder / "quarantine";
  for (const auto& folder : {archive, quarantine})
    if (auto why = unsafeFolder(folder); !why.empty()) {
      // Nothing in the folder is read until this is put right: a file read could not be moved.
      log->error("drop folder {}: {} {}; nothing in the folder is read until it is a real folder",
                 config.drop_folder.string(), folder.filename().string(), why);
      refuseUnread(folder, config.name,
                   folder.filename().string() + "/ " + why +
                       "; nothing in the drop folder is read until it is a real folder",
                   into);
      return;
    }
  std::error_code error;
  std::vector<fs::path> waiting;
  std::vector<std::pair<fs::path, std::string>> links;  // never read, and why
  for (const auto& entry : fs::directory_iterator(config.drop_folder, error)) {
    if (ignored(entry.path())) continue;
    std::error_code ignoredError;
    if (entry.is_symlink()) {
      links.emplace_back(
          entry.path(),
          "is a symbolic link (to " + fs::read_symlink(entry.path(), ignoredError).string() + ")");
    } else if (entry.is_regular_file()) {
      auto names = fs::hard_link_count(entry.path(), ignoredError);
      if (!ignoredError && names > 1)
        links.emplace_back(entry.path(), "has " + std::to_string(names) +
                                             " names (a hard link): it may be a file from "
                                             "outside the folder");
      else
        waiting.push_back(entry.path());
    }
  }
  if (error) {
    log->error("cannot read drop folder {}: {}", config.drop_folder.string(), error.message());
    return;
  }
  // A link is never followed (it could point at any file the service can read): it is moved
  // aside, as a link, with a note saying why, and reported like a refused file.
  std::sort(links.begin(), links.end());
  for (const auto& [link, what] : links) {
    std::string why = what +
                      ": a drop folder's files are read only when they are real files in it, "
                      "never through a link; nothing was read. Copy the export into the folder";
    log->error("{}: {}", link.filename().string(), why);
    if (into.preview()) {
      refuseUnread(link, config.name, why, into);
      continue;
    }
    auto moved = moveInto(link, quarantine);
    writeSidecar(moved.string() + ".error.txt", "markbridge refused " + link.filename().string() +
                                                    " (source " + config.name + "): it " + why +
                                                    ".\n");
    refuseUnread(link, config.name, why, into);
  }
  std::sort(waiting.begin(), waiting.end());  // oldest names first, e.g. dated exports
  auto settled = fs::file_time_type::clock::now() - std::chrono::seconds(config.settle_seconds);
  for (const auto& file : waiting) {
    auto modified = fs::last_write_time(file, error);
    if (error || modified > settled) {
      log->info("{}: still being written, left for the next sync", file.filename().string());
      continue;
    }
    if (fs::is_symlink(fs::symlink_status(file, error))) continue;  // swapped since listed
    Outcome outcome(into);
    read(file, outcome);
    if (!outcome.finished || into.preview()) continue;  // a preview moves nothing
    if (outcome.problems.empty()) {
      moveInto(file, archive);
      continue;
    }
    auto moved = moveInto(file, quarantine);
    std::string note = "markbridge refused " + file.filename().string() + " (source " +
                       config.name +
                       "); nothing from it was stored. Fix the export and drop it again.\n";
    for (const auto& problem : outcome.problems) note += problem.str() + "\n";
    writeSidecar(moved.string() + ".error.txt", note);
    log->warn("{}: quarantined with {} problem(s)", file.filename().string(),
              outcome.problems.size());
  }
}

}  // namespace markbridge
