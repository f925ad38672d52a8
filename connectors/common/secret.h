#pragma once
// Secrets (tokens, keys) come from an environment variable or from a file that only its owner
// may read (mode 0600 or stricter). They are never written to logs or status output.

#include <filesystem>
#include <optional>
#include <string>

#include "core/domain/config_schema.h"

namespace markbridge {

// Exactly one of envName / file is used (envName first). Nothing, with `error` set, on failure.
std::optional<std::string> readSecret(const std::string& envName, const std::filesystem::path& file,
                                      std::string& error);

// The same for a connector's `token_env` / `token_file` settings at `path`: a problem naming the
// setting is added to `context` when the secret cannot be read.
std::optional<std::string> readTokenSetting(const std::string& tokenEnv,
                                            const std::filesystem::path& tokenFile,
                                            const std::string& path, const ConfigContext& context);

}  // namespace markbridge
