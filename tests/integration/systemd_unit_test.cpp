// scripts/systemd/markbridge.service against systemd itself (`systemd-analyze verify`) and
// against the documented install: every folder it needs writable exists after the steps in
// docs/operations.md (or systemd makes it), and every drop folder docs/connectors.md suggests
// is writable (archive/ and quarantine/ are written there).

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>

#include "tests/support/test_support.h"

using namespace markbridge;

namespace {

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs `command` through the shell: its exit code and everything it printed.
std::pair<int, std::string> shell(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return {-1, "popen failed"};
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe)) output += buffer.data();
  int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

std::string unitText() {
  return readFile(test::sourceDir() + "/scripts/systemd/markbridge.service");
}

// The unit's setting `key`, split at spaces (all its lines).
std::vector<std::string> setting(const std::string& unit, const std::string& key) {
  std::vector<std::string> values;
  std::istringstream lines(unit);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(key + "=", 0) != 0) continue;
    std::istringstream words(line.substr(key.size() + 1));
    for (std::string word; words >> word;) values.push_back(word);
  }
  return values;
}

}  // namespace

TEST(SystemdUnit, VerifiesCleanlyWithSystemdAnalyze) {
  if (shell("command -v systemd-analyze").first != 0)
    GTEST_SKIP() << "systemd-analyze is not installed (scripts/install-deps.sh installs systemd)";
  test::TempDir dir;
  // systemd-analyze itself must work here: a unit known to be good verifies without a word.
  dir.write("known-good.service", "[Unit]\nDescription=x\n[Service]\nExecStart=/bin/true\n");
  auto probe = shell("systemd-analyze verify " + (dir / "known-good.service").string());
  if (probe.first != 0 || !probe.second.empty())
    GTEST_SKIP() << "systemd-analyze cannot verify units in this container: " << probe.second;
  // The unit as shipped, with only the installed binary's path pointed at the one just built.
  std::string unit = unitText();
  auto at = unit.find("/opt/markbridge/bin/markbridge ");
  ASSERT_NE(at, std::string::npos) << "ExecStart no longer runs /opt/markbridge/bin/markbridge";
  unit.replace(at, std::string("/opt/markbridge/bin/markbridge").size(), MB_BINARY);
  dir.write("markbridge.service", unit);
  auto verify = shell("systemd-analyze verify " + (dir / "markbridge.service").string());
  EXPECT_EQ(verify.first, 0) << verify.second;
  EXPECT_EQ(verify.second, "") << "systemd-analyze warned about the unit";
}

TEST(SystemdUnit, EveryFolderItWritesExistsAfterTheDocumentedInstall) {
  auto unit = unitText();
  auto operations = readFile(test::sourceDir() + "/docs/operations.md");
  std::string created;  // the documented install's `install -d` lines
  std::istringstream lines(operations);
  for (std::string line; std::getline(lines, line);)
    if (line.find("install -d") != std::string::npos) created += line + "\n";
  ASSERT_FALSE(created.empty()) << "docs/operations.md no longer shows `install -d`";
  auto writable = setting(unit, "ReadWritePaths");
  for (const auto& path : writable) {
    if (path[0] == '-') continue;  // optional: systemd starts without it
    // A folder that must exist or the unit fails with 226/NAMESPACE.
    EXPECT_NE(created.find(path), std::string::npos)
        << "ReadWritePaths=" << path << " is not created by the install in docs/operations.md";
  }
  EXPECT_EQ(setting(unit, "StateDirectory"), std::vector<std::string>{"markbridge"});
  EXPECT_EQ(setting(unit, "LogsDirectory"), std::vector<std::string>{"markbridge"});
  EXPECT_NE(unit.find("WorkingDirectory=/var/lib/markbridge"), std::string::npos);

  // Each drop folder the connectors guide suggests is under a writable path the install creates.
  auto connectors = readFile(test::sourceDir() + "/docs/connectors.md");
  std::regex dropFolder(R"re("drop_folder":\s*"(/[^"]+)")re");
  int folders = 0;
  for (std::sregex_iterator it(connectors.begin(), connectors.end(), dropFolder), end; it != end;
       ++it) {
    std::string folder = (*it)[1];
    ++folders;
    bool underWritable = false;
    for (auto path : writable) {
      if (path[0] == '-') path = path.substr(1);
      if (folder.rfind(path + "/", 0) == 0 || folder == path) {
        underWritable = true;
        EXPECT_NE(created.find(path), std::string::npos)
            << path << " (for drop folder " << folder << ") is not created by the install";
      }
    }
    EXPECT_TRUE(underWritable) << "drop folder " << folder
                               << " from docs/connectors.md would be read-only under the unit";
  }
  EXPECT_GT(folders, 0);
}
