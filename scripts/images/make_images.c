/* Draws the 64x48 picture of /image once and writes it as PPM, JPEG (libjpeg) and lossless
 * WebP (libwebp 1.2, its two functions declared here: Debian's runtime library is installed,
 * its headers are not). make_png_svg.py makes the PNG and the SVG. Run by hand, not by the
 * build: the results are committed in static/image/.
 *
 *   cc -O2 make_images.c -o make_images -ljpeg /usr/lib/x86_64-linux-gnu/libwebp.so.7
 *   ./make_images && python3 make_png_svg.py */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <jpeglib.h>
size_t WebPEncodeLosslessRGB(const uint8_t *rgb, int width, int height, int stride, uint8_t **output);
void WebPFree(void *ptr);
enum { W = 64, H = 48 };
static uint8_t rgb[W * H * 3];
int main(void)
{
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            uint8_t *p = rgb + (y * W + x) * 3;
            /* teal background, a white disc, an orange bar: three colours, easy to check */
            int dx = x - 22, dy = y - 24;
            if (dx * dx + dy * dy <= 14 * 14) { p[0] = 255; p[1] = 255; p[2] = 255; }
            else if (x >= 42 && x < 56 && y >= 10 && y < 38) { p[0] = 0xf0; p[1] = 0x8c; p[2] = 0x00; }
            else { p[0] = 0x0b; p[1] = 0x72; p[2] = 0x85; }
        }
    FILE *f = fopen("statusd.ppm", "wb");
    fprintf(f, "P6\n%d %d\n255\n", W, H);
    fwrite(rgb, 1, sizeof rgb, f);
    fclose(f);
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    f = fopen("statusd.jpg", "wb");
    jpeg_stdio_dest(&c, f);
    c.image_width = W; c.image_height = H; c.input_components = 3; c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 85, TRUE);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = rgb + c.next_scanline * W * 3;
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    fclose(f);
    jpeg_destroy_compress(&c);
    uint8_t *webp = NULL;
    size_t n = WebPEncodeLosslessRGB(rgb, W, H, W * 3, &webp);
    if (!n) return 1;
    f = fopen("statusd.webp", "wb");
    fwrite(webp, 1, n, f);
    fclose(f);
    WebPFree(webp);
    return 0;
}
