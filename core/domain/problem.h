#pragma once
// A problem found in input (a data file or a configuration), located precisely enough for an
// IT technician to open the file and fix it: file, line and column or JSON path, and the value.

#include <stdexcept>
#include <string>
#include <vector>

namespace markbridge {

struct Problem {
  std::string file;
  int line = 0;          // 1-based, 0 when not line-oriented
  int column = 0;        // 1-based, 0 when unknown
  std::string location;  // JSON path or XML element, when not line-oriented
  std::string value;     // the offending value (never a pupil name)
  std::string message;
  std::string str() const;
};

// Thrown at the boundary of configuration and calendar loading (not on the data path).
class ProblemError : public std::runtime_error {
 public:
  explicit ProblemError(std::vector<Problem> problems);
  const std::vector<Problem>& problems() const { return problems_; }

 private:
  std::vector<Problem> problems_;
};

}  // namespace markbridge
