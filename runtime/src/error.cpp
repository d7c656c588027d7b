#include "error.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <zlib.h>

namespace sinter {

void fail(const std::string &file, const std::string &where,
          const std::string &what) {
  std::string msg = file;
  if (!where.empty())
    msg += (msg.empty() ? "" : ": ") + where;
  msg += (msg.empty() ? "" : ": ") + what;
  throw Error(msg);
}

void writeFileAtomically(const std::string &path, const std::string &bytes) {
  std::string tmp = path + ".tmp";
  FILE *f = std::fopen(tmp.c_str(), "wb");
  if (!f)
    fail(path, "", std::string("cannot write: ") + std::strerror(errno));
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  ok = (std::fclose(f) == 0) && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    std::remove(tmp.c_str());
    fail(path, "", std::string("cannot write: ") + std::strerror(err));
  }
}

void requireWritable(const std::string &path) {
  std::string tmp = path + ".tmp";
  FILE *f = std::fopen(tmp.c_str(), "wb");
  if (!f)
    fail(path, "", std::string("cannot write: ") + std::strerror(errno));
  std::fclose(f);
  std::remove(tmp.c_str());
}

std::string readFile(const std::string &path) {
  // zlib reads gzip files and passes plain ones through.
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f)
    fail(path, "", std::string("cannot open: ") + std::strerror(errno));
  std::string out;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0)
    out.append(buf, n);
  int err = 0;
  const char *msg = n < 0 ? gzerror(f, &err) : nullptr;
  gzclose(f);
  if (n < 0)
    fail(path, "", std::string("cannot read: ") +
                       (err == Z_ERRNO ? std::strerror(errno) : msg));
  return out;
}

} // namespace sinter
