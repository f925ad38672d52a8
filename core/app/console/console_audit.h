#pragma once
// The console's audit log: who logged in (and who failed, or was throttled), who opened which
// page, who retried or discarded which outbox item, and when. An append-only JSON-lines file
// (service.console_audit_log), one object a line written whole with O_APPEND:
//   {"time":"2026-11-30T09:12:03.120Z","user":"sam","role":"technician","address":"10.0.0.5",
//    "action":"retry","target":"outbox 12","outcome":"ok","school":"140101"}
// A file rather than a store table: it is written even when the store cannot be (that is when a
// technician is busiest), it needs no migration on either backend, a restore of the store from a
// backup does not rewind it, and a school's log shipper can follow it as it follows the service
// log. It never holds a password, a session id or a pupil's name.

#include <filesystem>
#include <mutex>
#include <string>

namespace markbridge {

struct AuditEntry {
  std::string user;     // as typed at a failed login (at most 64 characters kept)
  std::string role;     // empty when not logged in
  std::string address;  // the client's IP address
  std::string action;   // login, login_failed, login_throttled, logout, open, retry, discard,
                        // refused (a POST without a valid CSRF token, or a role that may not)
  std::string target;   // the page ("/console/outbox") or item ("outbox 12")
  std::string outcome;  // ok, or what went wrong
  std::string school;   // the URN of the school the page or item is of (for a login, the school
                        // asked for, or the first served)
};

class ConsoleAudit {
 public:
  explicit ConsoleAudit(std::filesystem::path file) : file_(std::move(file)) {}
  // Appends one line; false when the file cannot be written (the caller logs that).
  bool record(const AuditEntry& entry, int64_t nowMs);
  const std::filesystem::path& file() const { return file_; }

 private:
  std::filesystem::path file_;
  std::mutex mutex_;
};

}  // namespace markbridge
