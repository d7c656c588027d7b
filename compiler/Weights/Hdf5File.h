//===- Hdf5File.h - the slice of HDF5 Keras weights files use -------------===//
//
// A thin owner of libhdf5 handles for reading and writing float tensors at
// slash-separated paths ("layers/dense/vars/0"), with errors returned as
// text instead of printed by the library.
//
//===----------------------------------------------------------------------===//
#ifndef SINTER_WEIGHTS_HDF5FILE_H
#define SINTER_WEIGHTS_HDF5FILE_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sinter {

class Hdf5File {
public:
  /// Opens `path` read-only, or an in-memory image of a file (a member of a
  /// zip archive) when `image` is given; `path` then only names it.
  static std::optional<Hdf5File> open(const std::string &path,
                                      const std::string *image,
                                      std::string &error);
  /// Creates (truncates) `path` for writing.
  static std::optional<Hdf5File> create(const std::string &path,
                                        std::string &error);
  Hdf5File(Hdf5File &&other) noexcept : id(other.id) { other.id = -1; }
  Hdf5File(const Hdf5File &) = delete;
  ~Hdf5File();

  /// Whether the object at `path` exists (every component of it).
  bool exists(const std::string &path) const;
  /// Reads the floating-point dataset at `path` as float32 with its shape.
  bool read(const std::string &path, std::vector<int64_t> &shape,
            std::vector<float> &data, std::string &error) const;
  /// The number of members of the group at `path`.
  std::optional<int64_t> members(const std::string &path) const;
  /// Creates the group at `path` and any missing parents.
  bool makeGroup(const std::string &path, std::string &error);
  /// Writes a little-endian float32 dataset (parents created as needed).
  bool write(const std::string &path, const std::vector<int64_t> &shape,
             const float *data, std::string &error);
  /// Flushes and closes the file; false if the library reports an error.
  bool close(std::string &error);

private:
  explicit Hdf5File(int64_t id) : id(id) {}
  int64_t id; // hid_t
};

} // namespace sinter

#endif // SINTER_WEIGHTS_HDF5FILE_H
