#pragma once
// A large hostile file written without holding it: `head`, then `repeat` `times` over, then
// `tail`, a block at a time (the test process's memory would otherwise count against the
// child's peak, before exec).

#include <filesystem>
#include <fstream>
#include <string>

namespace markbridge::test {

inline void writeRepeated(const std::filesystem::path& path, const std::string& head,
                          const std::string& repeat, std::size_t times, const std::string& tail) {
  std::ofstream out(path, std::ios::binary);
  out << head;
  std::string block;
  for (std::size_t i = 0; i < 4096; ++i) block += repeat;
  std::size_t i = 0;
  for (; i + 4096 <= times; i += 4096) out << block;
  for (; i < times; ++i) out << repeat;
  out << tail;
}

}  // namespace markbridge::test
