// The server's photos on a case screen ("my reports", the field apps' case page), drawn from the
// core's PhotoView and PhotoViewer: a row of thumbnails from the files the core fetched and
// keeps (a placeholder while one is not on the phone), each opening the photo full size over the
// screen. Which photos show, their labels, and what went wrong opening one are the core's; the
// files are decoded off the main actor. Compiled by Xcode only.
import GridlineKit
import SwiftUI
import UIKit

/// A JPEG file decoded off the main actor; nil while decoding, or when it cannot be read.
struct PhotoFile: View {
    let path: String?
    let fill: Bool
    @State private var image: UIImage?

    var body: some View {
        Group {
            if let image {
                Image(uiImage: image).resizable().aspectRatio(contentMode: fill ? .fill : .fit)
            } else {
                Color(uiColor: .secondarySystemBackground)
            }
        }
        .task(id: path) {
            guard let path else { image = nil; return }
            image = await Task.detached(priority: .userInitiated) { UIImage(contentsOfFile: path) }.value
        }
    }
}

/// The photos of one group (the report's, the fix's) under their label; nothing when empty.
struct ServerPhotoRow: View {
    let label: String
    let photos: [PhotoView]
    let open: (String) -> Void

    var body: some View {
        if !photos.isEmpty {
            VStack(alignment: .leading) {
                Text(label).font(.headline)
                ScrollView(.horizontal) {
                    HStack {
                        ForEach(photos, id: \.id) { photo in
                            Button { open(photo.id) } label: {
                                PhotoFile(path: photo.thumbnailPath, fill: true)
                                    .frame(width: 96, height: 96)
                                    .clipped()
                            }
                            .buttonStyle(.plain)
                            .accessibilityLabel(photo.label)
                        }
                    }
                }
            }
        }
    }
}

/// The photo the core opened, full screen, with the core's error when it could not be fetched.
struct ServerPhotoViewer: View {
    let viewer: PhotoViewer
    let close: () -> Void

    var body: some View {
        VStack(alignment: .leading) {
            Button(viewer.closeLabel, action: close)
            Text(viewer.label)
            if let error = viewer.error { Text(error).foregroundColor(.red) }
            PhotoFile(path: viewer.path, fill: false)
                .accessibilityLabel(viewer.label)
        }
        .padding()
    }
}

extension View {
    /// Shows `viewer` over this view while it is there; dismissing it tells the core.
    func serverPhotoViewer(_ viewer: PhotoViewer?, close: @escaping () -> Void) -> some View {
        fullScreenCover(isPresented: Binding(get: { viewer != nil }, set: { if !$0 { close() } })) {
            if let viewer { ServerPhotoViewer(viewer: viewer, close: close) }
        }
    }
}
