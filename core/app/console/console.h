#pragma once
// The web console, served by the admin API under /console (core/app/admin_api.cpp routes every
// /console path here; the bearer token is not used: people log in with their own names).
//   GET  /console/login, POST /console/login, POST /console/logout
//   GET  /console/                 Overview: health, sources, registers not taken today, sinks,
//                                  syncs
//   GET  /console/outbox[?state=&sink=]      Outbox by sink and state, dead letters' answers
//   POST /console/outbox/{seq}/retry|discard (a role that may change things; CSRF token)
//   GET  /console/pupils[?year=&reg=&band=&sen=&fsm=&cp=&cla=&sort=&dir=&page=]
//                                  Pupils at risk (console_pupils.h), pupil roles only
//   GET  /console/pupils/{UPN}[?day=YYYY-MM-DD]  One pupil's year, a day explained
//   GET  /console/report, /console/report.csv    The weekly report (console_report.h)
//   GET  /console/backtest[?policy=&compare=&from=&to=]  A policy replayed over the register,
//                                  two side by side (console_backtest.h), pupil roles only
//   GET  /console/schools          A trust's schools side by side (console_schools.h), a trust's
//                                  console only
//   GET  /console/style.css
// A trust's console (`schools: [...]`) serves every school: each page above takes `school=URN`
// (the first school without it; a URN not served is a 404 naming the schools), which every link,
// form and redirect keeps, and shows a school switcher; a single school's pages have neither.
// It serves nothing without TLS unless the admin API is bound to a loopback address (the rule
// `markbridge check` holds the admin API to). Sessions, CSRF and throttling: console_sessions.h;
// roles: console_users.h; the audit log: console_audit.h.

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <memory>
#include <string>

#include "core/app/gateway_config.h"

namespace markbridge {

class Service;

// Whether `address` is a loopback address (127.0.0.0/8, ::1, localhost).
bool isLoopbackAddress(const std::string& address);

class Console {
 public:
  // `base_dir` resolves a relative audit log path (the configuration file's folder).
  Console(Service& service, const ServiceConfig& config, const std::filesystem::path& baseDir);
  ~Console();
  void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace markbridge
