#pragma once
#include <string>

namespace markbridge {

// The school as the LA knows it: URN, LA number and establishment number (DfE number 801/2000).
struct School {
  std::string urn;
  std::string la;
  std::string estab;
  std::string name;
};

}  // namespace markbridge
