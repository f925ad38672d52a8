#include "core/domain/logging.h"

#include <pthread.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <csignal>
#include <ctime>
#include <nlohmann/json.hpp>

#include "core/domain/utc_time.h"

namespace markbridge {

std::string escapeLogText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\x";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

std::shared_ptr<spdlog::logger> namedLogger(const std::string& name) {
  if (auto existing = spdlog::get(name)) return existing;
  auto base = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>(name, base->sinks().begin(), base->sinks().end());
  logger->set_level(base->level());
  logger->flush_on(base->flush_level());  // warn and above reach the file at once
  try {
    spdlog::register_logger(logger);
  } catch (const spdlog::spdlog_ex&) {
    return spdlog::get(name);  // registered meanwhile by another thread
  }
  return logger;
}

namespace {
thread_local std::string tSchool;  // the school this thread's lines are about (LogSchool)
}  // namespace

const std::string& LogSchool::now() {
  return tSchool;
}

LogSchool::LogSchool(const std::string& urn) : previous_(tSchool) {
  if (!urn.empty()) tSchool = urn;
}

LogSchool::~LogSchool() {
  tSchool = previous_;
}

namespace {

// The human format, with the message escaped: a value with a newline or a terminal control in
// it (a file name, a destination's answer) cannot start a line of its own that looks like ours.
class EscapingFormatter final : public spdlog::formatter {
 public:
  EscapingFormatter() : inner_(std::make_unique<spdlog::pattern_formatter>()) {}
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string escaped = (tSchool.empty() ? "" : "school " + tSchool + ": ") +
                          escapeLogText(std::string_view(msg.payload.data(), msg.payload.size()));
    spdlog::details::log_msg copy = msg;
    copy.payload = spdlog::string_view_t(escaped.data(), escaped.size());
    inner_->format(copy, dest);
    msg.color_range_start = copy.color_range_start;  // the level in colour, as before
    msg.color_range_end = copy.color_range_end;
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<EscapingFormatter>();
  }

 private:
  std::unique_ptr<spdlog::formatter> inner_;
};

// One JSON object per line, for log shippers: the message escaped (JSON escapes every control
// character, so a line is always one record), the time in UTC.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch()).count();
    auto level = spdlog::level::to_string_view(msg.level);
    nlohmann::json line = {{"time", utcIsoMs(ms)},
                           {"level", std::string(level.data(), level.size())},
                           {"logger", std::string(msg.logger_name.data(), msg.logger_name.size())},
                           {"message", std::string(msg.payload.data(), msg.payload.size())}};
    if (!tSchool.empty()) line["school"] = tSchool;
    auto text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    dest.append(text.data(), text.data() + text.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

}  // namespace

void configureLogging(const std::string& level, const std::string& jsonFile) {
  auto terminal = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  terminal->set_formatter(std::make_unique<EscapingFormatter>());
  std::vector<spdlog::sink_ptr> sinks{terminal};
  if (!jsonFile.empty()) {
    auto file = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(jsonFile, 10 << 20, 5);
    file->set_formatter(std::make_unique<JsonFormatter>());
    sinks.push_back(file);
  }
  auto logger = std::make_shared<spdlog::logger>("markbridge", sinks.begin(), sinks.end());
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::warn);
  spdlog::drop_all();  // named loggers are made again from the new sinks
  spdlog::set_default_logger(logger);
  // Lines below warn reach the file within a second, even if the process is then killed. The
  // flushing thread takes no signal: SIGTERM and SIGHUP go to the thread the service waits in.
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  spdlog::flush_every(std::chrono::seconds(1));
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

void escapeTerminalLog() {
  spdlog::default_logger()->set_formatter(std::make_unique<EscapingFormatter>());
}

}  // namespace markbridge
