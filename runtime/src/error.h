// Errors the trainer reports to its user: one line naming the file, the
// place in it and what was expected. Thrown inside the runtime, caught once
// in the command line driver, which prints it and exits non-zero.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>

namespace sinter {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// "file: where: what" (the parts that are empty are left out).
[[noreturn]] void fail(const std::string &file, const std::string &where,
                       const std::string &what);

// Writes `bytes` to `path` through a temporary file and a rename, so a
// reader never sees a half-written file.
void writeFileAtomically(const std::string &path, const std::string &bytes);

// Throws the Error writeFileAtomically would when `path`'s temporary file
// cannot be created, leaving nothing behind: checked before a long run
// whose result goes there (training, then failing to save it).
void requireWritable(const std::string &path);

// A file read piece by piece, decompressed if it is gzipped; errors name
// it. Lets a loader read a large array straight into its own buffer.
class FileReader {
public:
  explicit FileReader(const std::string &path);
  ~FileReader();
  FileReader(const FileReader &) = delete;
  FileReader &operator=(const FileReader &) = delete;

  // Reads up to `n` bytes into `out`: how many (fewer only at the end).
  size_t read(void *out, size_t n);
  // The file's size on disk (0 if not a regular file): a first guess of
  // its content's.
  size_t sizeOnDisk() const { return sizeOnDisk_; }
  // The bytes left to read, when known without reading them: a regular
  // file that is not gzipped. Lets a loader check a header's sizes before
  // it allocates what they promise.
  std::optional<size_t> bytesLeft();
  // `start` (the bytes read so far) followed by the rest of the file.
  std::string readRest(std::string start = {});

private:
  std::string path_;
  void *file_;
  size_t sizeOnDisk_ = 0, done_ = 0;
};

// The whole file (decompressed if it is gzipped), or an Error naming it.
std::string readFile(const std::string &path);

} // namespace sinter
