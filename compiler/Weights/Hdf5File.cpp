//===- Hdf5File.cpp - the slice of HDF5 Keras weights files use -----------===//
#include "compiler/Weights/Hdf5File.h"

#include <hdf5.h>

using namespace sinter;

namespace {

// libhdf5 prints its error stack by default; errors are reported here.
void silence() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

/// Closes an HDF5 handle at scope exit.
struct Handle {
  hid_t id;
  herr_t (*close)(hid_t);
  ~Handle() {
    if (id >= 0)
      close(id);
  }
  operator hid_t() const { return id; }
};

hid_t parentsCreated() {
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  return lcpl;
}

} // namespace

std::optional<Hdf5File> Hdf5File::open(const std::string &path,
                                       const std::string *image,
                                       std::string &error) {
  silence();
  hid_t file;
  if (image) {
    // The core driver serves the file from memory; the image is copied.
    Handle fapl{H5Pcreate(H5P_FILE_ACCESS), H5Pclose};
    H5Pset_fapl_core(fapl, 1 << 20, 0);
    H5Pset_file_image(fapl, const_cast<char *>(image->data()), image->size());
    file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl);
  } else {
    file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  }
  if (file < 0) {
    error = "not a readable HDF5 file";
    return std::nullopt;
  }
  return Hdf5File(file);
}

std::optional<Hdf5File> Hdf5File::create(const std::string &path,
                                         std::string &error) {
  silence();
  hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (file < 0) {
    error = "cannot create the HDF5 file";
    return std::nullopt;
  }
  return Hdf5File(file);
}

Hdf5File::~Hdf5File() {
  if (id >= 0)
    H5Fclose(id);
}

bool Hdf5File::exists(const std::string &path) const {
  // H5Lexists needs every parent to exist: test them in turn.
  for (size_t slash = path.find('/'); true; slash = path.find('/', slash + 1)) {
    std::string prefix = path.substr(0, slash);
    if (H5Lexists(id, prefix.c_str(), H5P_DEFAULT) <= 0)
      return false;
    if (slash == std::string::npos)
      return true;
  }
}

bool Hdf5File::read(const std::string &path, std::vector<int64_t> &shape,
                    std::vector<float> &data, std::string &error) const {
  if (!exists(path)) {
    error = "missing";
    return false;
  }
  Handle set{H5Dopen2(id, path.c_str(), H5P_DEFAULT), H5Dclose};
  if (set < 0) {
    error = "not a dataset";
    return false;
  }
  Handle type{H5Dget_type(set), H5Tclose};
  if (H5Tget_class(type) != H5T_FLOAT) {
    error = "not a floating-point dataset";
    return false;
  }
  Handle space{H5Dget_space(set), H5Sclose};
  int rank = H5Sget_simple_extent_ndims(space);
  if (rank < 0) {
    error = "unreadable shape";
    return false;
  }
  std::vector<hsize_t> dims(rank);
  H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  shape.assign(dims.begin(), dims.end());
  size_t n = 1;
  for (hsize_t d : dims)
    n *= d;
  data.resize(n);
  // The library converts float16/float64 storage to float32.
  if (n && H5Dread(set, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                   data.data()) < 0) {
    error = "unreadable data";
    return false;
  }
  return true;
}

std::optional<int64_t> Hdf5File::members(const std::string &path) const {
  if (!exists(path))
    return std::nullopt;
  Handle group{H5Gopen2(id, path.c_str(), H5P_DEFAULT), H5Gclose};
  H5G_info_t info;
  if (group < 0 || H5Gget_info(group, &info) < 0)
    return std::nullopt;
  return int64_t(info.nlinks);
}

bool Hdf5File::makeGroup(const std::string &path, std::string &error) {
  Handle lcpl{parentsCreated(), H5Pclose};
  Handle group{H5Gcreate2(id, path.c_str(), lcpl, H5P_DEFAULT, H5P_DEFAULT),
               H5Gclose};
  if (group < 0)
    error = "cannot create group " + path;
  return group >= 0;
}

bool Hdf5File::write(const std::string &path, const std::vector<int64_t> &shape,
                     const float *data, std::string &error) {
  std::vector<hsize_t> dims(shape.begin(), shape.end());
  Handle space{shape.empty() ? H5Screate(H5S_SCALAR)
                             : H5Screate_simple(int(dims.size()), dims.data(),
                                                nullptr),
               H5Sclose};
  Handle lcpl{parentsCreated(), H5Pclose};
  Handle set{H5Dcreate2(id, path.c_str(), H5T_IEEE_F32LE, space, lcpl,
                        H5P_DEFAULT, H5P_DEFAULT),
             H5Dclose};
  if (set < 0 || H5Dwrite(set, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL,
                          H5P_DEFAULT, data) < 0) {
    error = "cannot write dataset " + path;
    return false;
  }
  return true;
}

bool Hdf5File::close(std::string &error) {
  herr_t status = H5Fclose(id);
  id = -1;
  if (status < 0)
    error = "cannot finish the HDF5 file";
  return status >= 0;
}
