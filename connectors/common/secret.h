#pragma once
// Secrets (tokens, keys) come from an environment variable or from a file that only its owner
// may read (mode 0600 or stricter). They are never written to logs or status output.

#include <filesystem>
#include <optional>
#include <string>

namespace markbridge {

// Exactly one of envName / file is used (envName first). Nothing, with `error` set, on failure.
std::optional<std::string> readSecret(const std::string& envName, const std::filesystem::path& file,
                                      std::string& error);

}  // namespace markbridge
