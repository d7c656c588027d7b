// Loaders and writers: whole files, NPY, CSV, safetensors, JSON.
#include "csv.h"
#include "error.h"
#include "json.h"
#include "npy.h"
#include "safetensors.h"
#include "test_util.h"

#include <cstring>
#include <zlib.h>

using namespace sinter;
using sinter::test::errorOf;
using sinter::test::scratch;
using sinter::test::writeText;

// Builds a v1.0 .npy file from a header dict and raw data.
static std::string npyFile(std::string dict, const void *data, size_t bytes) {
  dict.append(127 - 10 - dict.size(), ' '); // data at byte 128
  dict += '\n';
  std::string file = std::string("\x93NUMPY\x01\x00", 8);
  uint16_t len = dict.size();
  file.append(reinterpret_cast<char *>(&len), 2);
  file += dict;
  file.append(static_cast<const char *>(data), bytes);
  return file;
}

TEST(Npy, RoundTripsFloat32) {
  std::string path = scratch("a.npy");
  writeNpy(path, {2, 3}, {1, 2, 3, 4, 5, 6.5f});
  NpyArray a = readNpy(path);
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_FALSE(a.isInteger);
  // As floats, not doubles twice their size.
  EXPECT_EQ(a.floats, (std::vector<float>{1, 2, 3, 4, 5, 6.5f}));
  EXPECT_TRUE(a.values.empty());
  EXPECT_EQ(a.size(), 6u);
  EXPECT_EQ(a[5], 6.5);
  EXPECT_FALSE(test::exists(path + ".tmp"));
}

TEST(Npy, ReadsIntegerLabels) {
  int64_t values[3] = {2, 0, 7};
  std::string path = scratch("labels.npy");
  writeText(path, npyFile("{'descr': '<i8', 'fortran_order': False, "
                          "'shape': (3,), }",
                          values, sizeof values));
  NpyArray a = readNpy(path);
  EXPECT_TRUE(a.isInteger);
  EXPECT_EQ(a.shape, (std::vector<int64_t>{3}));
  EXPECT_EQ(a.values, (std::vector<double>{2, 0, 7}));
}

TEST(Npy, ReadsFortranOrderAsRowMajor) {
  // [[1, 2, 3], [4, 5, 6]] stored column by column.
  double col[6] = {1, 4, 2, 5, 3, 6};
  std::string path = scratch("f.npy");
  writeText(path, npyFile("{'descr': '<f8', 'fortran_order': True, "
                          "'shape': (2, 3), }",
                          col, sizeof col));
  NpyArray a = readNpy(path);
  EXPECT_EQ(a.values, (std::vector<double>{1, 2, 3, 4, 5, 6}));
  float colF[6] = {1, 4, 2, 5, 3, 6};
  writeText(path, npyFile("{'descr': '<f4', 'fortran_order': True, "
                          "'shape': (2, 3), }",
                          colF, sizeof colF));
  EXPECT_EQ(readNpy(path).floats, (std::vector<float>{1, 2, 3, 4, 5, 6}));
}

TEST(Npy, RejectsCorruptFiles) {
  std::string path = scratch("bad.npy");
  writeText(path, "hello");
  EXPECT_EQ(errorOf([&] { readNpy(path); }),
            path + ": not a .npy or IDX file (missing the \\x93NUMPY magic)");
  // A valid header promising more data than the file holds.
  writeNpy(path, {4, 4}, std::vector<float>(16, 1.0f));
  std::string text;
  {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  writeText(path, text.substr(0, text.size() - 8));
  EXPECT_EQ(errorOf([&] { readNpy(path); }),
            path + ": data: expected 64 bytes for shape (4,4), found 56");
  // A damaged shape promising 285 TiB: refused before anything is
  // allocated for it.
  float four[4] = {1, 2, 3, 4};
  writeText(path, npyFile("{'descr': '<f4', 'fortran_order': False, "
                          "'shape': (100000000000, 784), }",
                          four, sizeof four));
  EXPECT_EQ(errorOf([&] { readNpy(path); }),
            path + ": data: expected 313600000000000 bytes for shape "
                   "(100000000000, 784), found 16");
  EXPECT_NE(errorOf([&] { readNpy(scratch("missing.npy")); }).find("cannot open"),
            std::string::npos);
}

TEST(Npy, ReadsGzippedArraysAndCountsBytesPastTheData) {
  float data[3] = {0.5f, -2, 7};
  std::string npy = npyFile("{'descr': '<f4', 'fortran_order': False, "
                            "'shape': (3,), }",
                            data, sizeof data);
  std::string path = scratch("g.npy.gz");
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, npy.data(), npy.size());
  gzclose(f);
  EXPECT_EQ(readNpy(path).floats, (std::vector<float>{0.5f, -2, 7}));
  // Data read straight into the array: what follows it still counts.
  path = scratch("long.npy");
  writeText(path, npy + std::string(5000, 'x'));
  EXPECT_EQ(errorOf([&] { readNpy(path); }),
            path + ": data: expected 12 bytes for shape (3,), found 5012");
}

TEST(ReadFile, ReadsPlainAndGzippedFilesWhole) {
  // 1 MiB and a bit, gzipped to a few KiB: the buffer sized from the file
  // grows as it fills.
  std::string content;
  for (int i = 0; i < (1 << 20) + 77; ++i)
    content += char(i % 251 < 3 ? i % 7 : 0);
  std::string gz = scratch("big.bin.gz");
  gzFile f = gzopen(gz.c_str(), "wb");
  gzwrite(f, content.data(), content.size());
  gzclose(f);
  EXPECT_EQ(readFile(gz), content);
  std::string plain = scratch("big.bin");
  writeText(plain, content);
  EXPECT_EQ(readFile(plain), content);
  writeText(plain, "");
  EXPECT_EQ(readFile(plain), "");
}

TEST(Idx, ReadsGzippedImagesAsScaledPixels) {
  // 2 images of 2x3 unsigned bytes, MNIST's layout, gzipped.
  std::string idx = std::string("\0\0\x08\x03", 4);
  for (uint32_t d : {2u, 2u, 3u})
    for (int shift = 24; shift >= 0; shift -= 8)
      idx += char((d >> shift) & 0xff);
  for (int i = 0; i < 12; ++i)
    idx += char(i * 20);
  std::string path = scratch("images-idx3-ubyte.gz");
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, idx.data(), idx.size());
  gzclose(f);
  NpyArray a = readNpy(path);
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 2, 3}));
  EXPECT_FALSE(a.isInteger);
  EXPECT_EQ(a.floats[11], float(220.0 / 255.0));
}

TEST(Idx, ReadsLabelsAndRejectsTruncation) {
  std::string idx = std::string("\0\0\x08\x01\0\0\0\x03\x07\x02\x09", 11);
  std::string path = scratch("labels-idx1-ubyte");
  writeText(path, idx);
  NpyArray a = readNpy(path);
  EXPECT_TRUE(a.isInteger);
  EXPECT_EQ(a.size(), 3u);
  EXPECT_EQ(std::vector<double>({a[0], a[1], a[2]}),
            (std::vector<double>{7, 2, 9}));
  writeText(path, idx.substr(0, 10));
  EXPECT_EQ(errorOf([&] { readNpy(path); }),
            path + ": data: expected 3 bytes of elements, found 2");
}

TEST(Csv, SkipsAHeaderAndReadsRows) {
  std::string path = scratch("d.csv");
  writeText(path, "a,b,label\n0.5, -1 ,2\r\n\n1e-3,+4,0\n \t\n.5,5.,1");
  CsvTable t = readCsv(path);
  EXPECT_EQ(t.cols, 3u);
  EXPECT_EQ(t.rows(), 3u);
  EXPECT_EQ(t.values, (std::vector<double>{0.5, -1, 2, 1e-3, 4, 0, 0.5, 5, 1}));
  EXPECT_EQ(t.lines, (std::vector<int>{2, 4, 6}));
  writeText(path, "\xEF\xBB\xBF" "1,2\n3,4\n"); // a byte order mark
  EXPECT_EQ(readCsv(path).values, (std::vector<double>{1, 2, 3, 4}));
}

TEST(Csv, NamesTheLineAndColumnOfBadFields) {
  std::string path = scratch("bad.csv");
  const std::pair<const char *, const char *> cases[] = {
      {"1,2\n3,oops\n", "line 2, column 2: expected a number, got 'oops'"},
      {"1,2\n3,4,5\n", "line 2: expected 2 columns, got 3"},
      {"1,2\n3,nan\n", "line 2, column 2: expected a number, got 'nan'"},
      {"1,2\n3,4 5\n", "line 2, column 2: expected a number, got '4 5'"},
      {"1,2\n3,\n", "line 2, column 2: expected a number, got ''"},
      {"1,2\n3,+-4\n", "line 2, column 2: expected a number, got '+-4'"},
      {"only,a,header\n", "no data rows"}};
  for (auto [text, error] : cases) {
    writeText(path, text);
    EXPECT_EQ(errorOf([&] { readCsv(path); }), path + ": " + error) << text;
  }
}

TEST(Safetensors, RoundTripsAndMatchesTheByteLayout) {
  std::string path = scratch("w.safetensors");
  std::map<std::string, Tensor> in = {{"b", {{2}, {1, 2}}},
                                      {"a", {{1, 2}, {3, 4}}}};
  writeSafetensors(path, in);
  std::map<std::string, Tensor> out = readSafetensors(path);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out["a"].shape, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(out["a"].data, (std::vector<float>{3, 4}));
  EXPECT_EQ(out["b"].data, (std::vector<float>{1, 2}));

  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string bytes = ss.str();
  uint64_t n;
  std::memcpy(&n, bytes.data(), 8);
  EXPECT_EQ(n % 8, 0u) << "header padded to 8 bytes";
  EXPECT_EQ(bytes.size(), 8 + n + 16);
  std::string header = bytes.substr(8, n);
  // Sorted by name: "a" holds the first 8 bytes.
  EXPECT_NE(header.find("\"a\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[0,8]}"),
            std::string::npos)
      << header;
}

TEST(Safetensors, ConvertsHalfAndBfloat16) {
  std::string header = R"({"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},)"
                       R"("b":{"dtype":"BF16","shape":[1],"data_offsets":[4,6]}})";
  header.append((8 - header.size() % 8) % 8, ' ');
  uint64_t n = header.size();
  std::string file(reinterpret_cast<char *>(&n), 8);
  file += header;
  uint16_t vals[3] = {0x3C00 /*1.0*/, 0xC000 /*-2.0*/, 0x4049 /*3.140625*/};
  file.append(reinterpret_cast<char *>(vals), 6);
  std::string path = scratch("half.safetensors");
  writeText(path, file);
  auto t = readSafetensors(path);
  EXPECT_EQ(t["h"].data, (std::vector<float>{1.0f, -2.0f}));
  EXPECT_FLOAT_EQ(t["b"].data[0], 3.140625f);
}

TEST(Safetensors, RejectsInconsistentFiles) {
  std::string path = scratch("bad.safetensors");
  auto make = [&](const std::string &json, size_t dataBytes) {
    std::string h = json;
    uint64_t n = h.size();
    std::string file(reinterpret_cast<char *>(&n), 8);
    writeText(path, file + h + std::string(dataBytes, '\0'));
  };
  make(R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,8]}})", 8);
  EXPECT_EQ(errorOf([&] { readSafetensors(path); }),
            path + ": tensor 'w': data_offsets [0, 8] do not hold 4 F32 values inside the 8-byte buffer");
  make(R"({"w":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}})", 8);
  EXPECT_EQ(errorOf([&] { readSafetensors(path); }),
            path + ": tensor 'w': unsupported dtype I64 (expected F32, F64, F16 or BF16)");
  make(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 12);
  EXPECT_EQ(errorOf([&] { readSafetensors(path); }),
            path + ": the tensors cover 4 of 12 data bytes");
  make(R"({"w":{"dtype":"F32","shape":[1],)", 4);
  EXPECT_EQ(errorOf([&] { readSafetensors(path); }).rfind(path + ": header: malformed JSON:", 0), 0u);
  writeText(path, "abc");
  EXPECT_EQ(errorOf([&] { readSafetensors(path); }),
            path + ": too short for a safetensors file");
}

TEST(Json, ParsesAndRejects) {
  json::Value v = json::parse(R"( {"a": [1, -2.5e1, true, null], "s": "x\"\u00e9"} )");
  ASSERT_EQ(v.kind, json::Value::Object);
  EXPECT_EQ(v.find("a")->array[1].number, -25);
  EXPECT_EQ(v.find("s")->string, "x\"\xc3\xa9");
  EXPECT_EQ(errorOf([] { json::parse("{\"a\": 1, \"a\": 2}"); }),
            "duplicate key \"a\" at byte 12");
  EXPECT_EQ(errorOf([] { json::parse("[1, 2"); }), "expected ']' at byte 5");
  EXPECT_EQ(errorOf([] { json::parse("{} x"); }), "trailing characters at byte 3");
}
