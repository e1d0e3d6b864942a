//===- Plot.cpp - The learning-curve PNG of --plot ------------------------===//
//
// Draws the per-epoch curves of a run - train loss and the metrics of the
// evaluates in its epochs - the way the PyTorch tutorial's matplotlib
// learning-curve plot looks: a panel of losses and, when there are any, a
// panel of accuracies beside it, each with a frame, light grid, ticks,
// tick labels, axis labels and a legend; lines with a dot per epoch in
// matplotlib's tab10 colours. Drawn with cairo, which is loaded with
// dlopen on the first --plot (the cairo C ABI is stable since 1.0), so that
// programs built by `nnc build` do not link it: only a run that asks for a
// plot needs libcairo2.
//
//===----------------------------------------------------------------------===//

#include "progress/Progress.h"

#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <dlfcn.h>
#include <string>
#include <vector>

using namespace nnc::rt;

namespace {

// The cairo functions the plot uses, looked up by name in libcairo.so.2.
#define NNC_CAIRO_FUNCTIONS(X)                                                 \
  X(cairo_image_surface_create)                                                \
  X(cairo_surface_status)                                                      \
  X(cairo_surface_destroy)                                                     \
  X(cairo_surface_write_to_png_stream)                                         \
  X(cairo_create)                                                              \
  X(cairo_destroy)                                                             \
  X(cairo_status)                                                              \
  X(cairo_status_to_string)                                                    \
  X(cairo_save)                                                                \
  X(cairo_restore)                                                             \
  X(cairo_set_source_rgb)                                                      \
  X(cairo_paint)                                                               \
  X(cairo_set_line_width)                                                      \
  X(cairo_set_line_join)                                                       \
  X(cairo_set_line_cap)                                                        \
  X(cairo_new_path)                                                            \
  X(cairo_move_to)                                                             \
  X(cairo_line_to)                                                             \
  X(cairo_rectangle)                                                           \
  X(cairo_arc)                                                                 \
  X(cairo_stroke)                                                              \
  X(cairo_fill)                                                                \
  X(cairo_fill_preserve)                                                       \
  X(cairo_clip)                                                                \
  X(cairo_translate)                                                           \
  X(cairo_rotate)                                                              \
  X(cairo_select_font_face)                                                    \
  X(cairo_set_font_size)                                                       \
  X(cairo_text_extents)                                                        \
  X(cairo_show_text)

struct Cairo {
#define NNC_CAIRO_POINTER(fn) decltype(&::fn) fn = nullptr;
  NNC_CAIRO_FUNCTIONS(NNC_CAIRO_POINTER)
#undef NNC_CAIRO_POINTER
  bool loaded = false;
};

Cairo &cairo() {
  static Cairo c;
  return c;
}

/// matplotlib's tab10 colours, in its cycle order.
const double kColours[][3] = {{31, 119, 180},  {255, 127, 14},  {44, 160, 44},
                              {214, 39, 40},   {148, 103, 189}, {140, 86, 75},
                              {227, 119, 194}, {127, 127, 127}, {188, 189, 34},
                              {23, 190, 207}};

/// A "nice" step (1, 2 or 5 times a power of ten) near \p range / \p n.
double niceStep(double range, int n) {
  double raw = range / n;
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double f = raw / mag;
  double nice = f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10;
  return nice * mag;
}

/// A tick label with as many decimals as the step needs.
std::string tickLabel(double v, double step) {
  int decimals = std::max(0, -int(std::floor(std::log10(step) + 1e-9)));
  char buf[64];
  if (std::fabs(v) < step * 1e-6)
    v = 0;
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

struct Panel {
  std::string title;
  std::vector<size_t> series; ///< indices into the series list
  bool legendBelow = false;   ///< accuracies rise: legend lower right
};

class Painter {
public:
  Painter(cairo_t *cr, const std::vector<plot::Series> &series)
      : c(cairo()), cr(cr), series(series) {}

  void text(const std::string &s, double x, double y, double alignX,
            double alignY, double size = 12) {
    c.cairo_set_font_size(cr, size);
    cairo_text_extents_t e;
    c.cairo_text_extents(cr, s.c_str(), &e);
    c.cairo_move_to(cr, x - e.x_bearing - e.width * alignX,
                    y - e.y_bearing - e.height * alignY);
    c.cairo_show_text(cr, s.c_str());
  }

  double textWidth(const std::string &s, double size = 12) {
    c.cairo_set_font_size(cr, size);
    cairo_text_extents_t e;
    c.cairo_text_extents(cr, s.c_str(), &e);
    return e.x_advance;
  }

  void rgb(const double *colour) {
    c.cairo_set_source_rgb(cr, colour[0] / 255, colour[1] / 255,
                           colour[2] / 255);
  }
  void grey(double g) { c.cairo_set_source_rgb(cr, g, g, g); }

  void panel(const Panel &p, double x0, double y0, double w, double h) {
    size_t points = 0;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t s : p.series) {
      points = std::max(points, series[s].values.size());
      for (double v : series[s].values)
        if (std::isfinite(v)) {
          lo = std::min(lo, v);
          hi = std::max(hi, v);
        }
    }
    if (!std::isfinite(lo)) {
      lo = 0;
      hi = 1;
    }
    if (hi - lo < 1e-12) {
      double pad = std::fabs(lo) > 1e-12 ? std::fabs(lo) * 0.1 : 0.5;
      lo -= pad;
      hi += pad;
    }
    double margin = (hi - lo) * 0.05;
    lo -= margin;
    hi += margin;
    double n = double(std::max<size_t>(points, 1));
    double xlo = n > 1 ? 1 - (n - 1) * 0.05 : 0.5;
    double xhi = n > 1 ? n + (n - 1) * 0.05 : 1.5;

    // The plot area.
    double left = x0 + 72, right = x0 + w - 18, top = y0 + 34,
           bottom = y0 + h - 52;
    auto X = [&](double v) {
      return left + (v - xlo) / (xhi - xlo) * (right - left);
    };
    auto Y = [&](double v) {
      return bottom - (v - lo) / (hi - lo) * (bottom - top);
    };

    // Grid and ticks.
    double ystep = niceStep(hi - lo, 5);
    double xstep = std::max(1.0, std::ceil(niceStep(std::max(n - 1, 1.0), 8)));
    c.cairo_set_line_width(cr, 1);
    grey(0);
    for (double v = std::ceil(lo / ystep) * ystep; v <= hi + ystep * 1e-9;
         v += ystep) {
      double y = std::round(Y(v)) + 0.5;
      grey(0.9);
      c.cairo_move_to(cr, left, y);
      c.cairo_line_to(cr, right, y);
      c.cairo_stroke(cr);
      grey(0);
      c.cairo_move_to(cr, left - 5, y);
      c.cairo_line_to(cr, left, y);
      c.cairo_stroke(cr);
      text(tickLabel(v, ystep), left - 8, y, 1, 0.5);
    }
    for (double v = 1; v <= n + 1e-9; v += xstep) {
      double x = std::round(X(v)) + 0.5;
      grey(0.9);
      c.cairo_move_to(cr, x, top);
      c.cairo_line_to(cr, x, bottom);
      c.cairo_stroke(cr);
      grey(0);
      c.cairo_move_to(cr, x, bottom);
      c.cairo_line_to(cr, x, bottom + 5);
      c.cairo_stroke(cr);
      text(tickLabel(v, 1), x, bottom + 8, 0.5, 0);
    }
    // Frame, title, axis labels.
    grey(0);
    c.cairo_rectangle(cr, std::round(left) + 0.5, std::round(top) + 0.5,
                      std::round(right - left), std::round(bottom - top));
    c.cairo_stroke(cr);
    text(p.title, (left + right) / 2, y0 + 10, 0.5, 0, 14);
    text("epoch", (left + right) / 2, bottom + 30, 0.5, 0, 13);
    c.cairo_save(cr);
    c.cairo_translate(cr, x0 + 16, (top + bottom) / 2);
    c.cairo_rotate(cr, -M_PI / 2);
    text(p.title, 0, 0, 0.5, 0.5, 13);
    c.cairo_restore(cr);

    // Curves: a line through the epochs that have a value, a dot on each.
    c.cairo_save(cr);
    c.cairo_rectangle(cr, left, top, right - left, bottom - top);
    c.cairo_clip(cr);
    c.cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    c.cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    for (size_t s : p.series) {
      const std::vector<double> &vs = series[s].values;
      rgb(kColours[s % 10]);
      c.cairo_set_line_width(cr, 2);
      bool drawing = false;
      for (size_t i = 0; i < vs.size(); ++i) {
        if (!std::isfinite(vs[i])) {
          drawing = false;
          continue;
        }
        if (drawing)
          c.cairo_line_to(cr, X(double(i + 1)), Y(vs[i]));
        else
          c.cairo_move_to(cr, X(double(i + 1)), Y(vs[i]));
        drawing = true;
      }
      c.cairo_stroke(cr);
      for (size_t i = 0; i < vs.size(); ++i)
        if (std::isfinite(vs[i])) {
          c.cairo_new_path(cr);
          c.cairo_arc(cr, X(double(i + 1)), Y(vs[i]), 3.5, 0, 2 * M_PI);
          c.cairo_fill(cr);
        }
    }
    c.cairo_restore(cr);

    // Legend.
    double lw = 0;
    for (size_t s : p.series)
      lw = std::max(lw, textWidth(name(s)));
    double rowH = 20, boxW = lw + 48, boxH = rowH * double(p.series.size()) + 8;
    double bx = right - boxW - 10;
    double by = p.legendBelow ? bottom - boxH - 10 : top + 10;
    c.cairo_rectangle(cr, std::round(bx) + 0.5, std::round(by) + 0.5,
                      std::round(boxW), std::round(boxH));
    grey(1);
    c.cairo_fill_preserve(cr);
    grey(0.8);
    c.cairo_set_line_width(cr, 1);
    c.cairo_stroke(cr);
    for (size_t k = 0; k < p.series.size(); ++k) {
      size_t s = p.series[k];
      double y = by + 4 + rowH * (double(k) + 0.5);
      rgb(kColours[s % 10]);
      c.cairo_set_line_width(cr, 2);
      c.cairo_move_to(cr, bx + 8, y);
      c.cairo_line_to(cr, bx + 32, y);
      c.cairo_stroke(cr);
      c.cairo_arc(cr, bx + 20, y, 3.5, 0, 2 * M_PI);
      c.cairo_fill(cr);
      grey(0);
      text(name(s), bx + 40, y, 0, 0.5);
    }
  }

  std::string name(size_t s) const {
    std::string n = series[s].name;
    std::replace(n.begin(), n.end(), '_', ' ');
    return n;
  }

private:
  Cairo &c;
  cairo_t *cr;
  const std::vector<plot::Series> &series;
};

cairo_status_t appendPng(void *closure, const unsigned char *data,
                         unsigned int length) {
  static_cast<std::string *>(closure)->append(
      reinterpret_cast<const char *>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

} // namespace

bool plot::load(std::string &error) {
  Cairo &c = cairo();
  if (c.loaded)
    return true;
  const char *env = std::getenv("NNC_LIBCAIRO");
  std::string lib = env && *env ? env : "libcairo.so.2";
  void *h = ::dlopen(lib.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char *why = ::dlerror();
    error = "drawing the plot needs the cairo library, but '" + lib +
            "' cannot be loaded (" + (why ? why : "unknown reason") +
            "); on Debian: apt-get install libcairo2";
    return false;
  }
#define NNC_CAIRO_LOOKUP(fn)                                                   \
  c.fn = reinterpret_cast<decltype(&::fn)>(::dlsym(h, #fn));                   \
  if (!c.fn) {                                                                 \
    error = "'" + lib + "' has no function '" #fn "': not the cairo library";  \
    ::dlclose(h);                                                              \
    return false;                                                              \
  }
  NNC_CAIRO_FUNCTIONS(NNC_CAIRO_LOOKUP)
#undef NNC_CAIRO_LOOKUP
  c.loaded = true;
  return true;
}

bool plot::render(const std::vector<Series> &series, std::string &png,
                  std::string &error) {
  Cairo &c = cairo();
  if (!c.loaded && !load(error))
    return false;
  Panel losses{"loss", {}, false}, accuracies{"accuracy", {}, true};
  for (size_t s = 0; s < series.size(); ++s)
    (series[s].name.find("acc") != std::string::npos ? accuracies : losses)
        .series.push_back(s);
  std::vector<const Panel *> panels;
  if (!losses.series.empty())
    panels.push_back(&losses);
  if (!accuracies.series.empty())
    panels.push_back(&accuracies);
  const int panelW = 600, height = 440;
  const int width = panelW * int(std::max<size_t>(panels.size(), 1));
  cairo_surface_t *surface =
      c.cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
  if (c.cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS) {
    error = std::string("cannot draw the plot: ") +
            c.cairo_status_to_string(c.cairo_surface_status(surface));
    c.cairo_surface_destroy(surface);
    return false;
  }
  cairo_t *cr = c.cairo_create(surface);
  c.cairo_set_source_rgb(cr, 1, 1, 1);
  c.cairo_paint(cr);
  c.cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                           CAIRO_FONT_WEIGHT_NORMAL);
  Painter painter(cr, series);
  for (size_t k = 0; k < panels.size(); ++k)
    painter.panel(*panels[k], double(k) * panelW, 0, panelW, height);
  cairo_status_t status = c.cairo_status(cr);
  c.cairo_destroy(cr);
  png.clear();
  if (status == CAIRO_STATUS_SUCCESS)
    status = c.cairo_surface_write_to_png_stream(surface, appendPng, &png);
  c.cairo_surface_destroy(surface);
  if (status != CAIRO_STATUS_SUCCESS) {
    error = std::string("cannot draw the plot: ") +
            c.cairo_status_to_string(status);
    return false;
  }
  return true;
}
