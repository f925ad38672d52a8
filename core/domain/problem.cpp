#include "core/domain/problem.h"

namespace markbridge {
namespace {

std::string joined(const std::vector<Problem>& problems) {
  std::string text;
  for (const auto& p : problems) {
    if (!text.empty()) text += '\n';
    text += p.str();
  }
  return text;
}

}  // namespace

std::string Problem::str() const {
  std::string text = file.empty() ? std::string("<input>") : file;
  if (line > 0) {
    text += ':' + std::to_string(line);
    if (column > 0) text += ':' + std::to_string(column);
  }
  if (!location.empty()) text += ": " + location;
  text += ": " + message;
  if (!value.empty()) text += " (value '" + value + "')";
  return text;
}

ProblemError::ProblemError(std::vector<Problem> problems)
    : std::runtime_error(joined(problems)), problems_(std::move(problems)) {}

}  // namespace markbridge
