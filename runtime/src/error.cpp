#include "error.h"

#include <sys/stat.h>

#include <algorithm>
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

FileReader::FileReader(const std::string &path) : path_(path) {
  // zlib reads gzip files and passes plain ones through.
  file_ = gzopen(path.c_str(), "rb");
  if (!file_)
    fail(path, "", std::string("cannot open: ") + std::strerror(errno));
  struct stat st;
  if (stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode))
    sizeOnDisk_ = size_t(st.st_size);
}

std::optional<size_t> FileReader::bytesLeft() {
  if (sizeOnDisk_ == 0 || !gzdirect(gzFile(file_)) || done_ > sizeOnDisk_)
    return std::nullopt;
  return sizeOnDisk_ - done_;
}

FileReader::~FileReader() { gzclose(gzFile(file_)); }

size_t FileReader::read(void *out, size_t n) {
  size_t done = 0;
  while (done < n) {
    unsigned want = unsigned(std::min<size_t>(n - done, size_t(1) << 30));
    int got = gzread(gzFile(file_), static_cast<char *>(out) + done, want);
    if (got < 0) {
      int err = 0;
      const char *msg = gzerror(gzFile(file_), &err);
      fail(path_, "",
           std::string("cannot read: ") +
               (err == Z_ERRNO ? std::strerror(errno) : msg));
    }
    if (got == 0)
      break;
    done += size_t(got);
  }
  done_ += done;
  return done;
}

std::string FileReader::readRest(std::string start) {
  // Read in place into a buffer the file's size (a plain file's is its
  // content's; a gzipped one's doubles as it fills): appending 64 KiB
  // pieces to a growing string copied mnist-mlp's 40 MB of pixels
  // several times over, a third of the trainer's start.
  size_t used = start.size();
  start.resize(std::max<size_t>({sizeOnDisk_ + 1, used, 1 << 16}));
  while (size_t got = read(&start[used], start.size() - used)) {
    used += got;
    if (used == start.size())
      start.resize(2 * start.size());
  }
  start.resize(used);
  return start;
}

std::string readFile(const std::string &path) {
  return FileReader(path).readRest();
}

} // namespace sinter
