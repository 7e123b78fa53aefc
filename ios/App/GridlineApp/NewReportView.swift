// The citizen's new report, drawn from the core's NewReportState: photos (the camera at full
// resolution, or several from the library) with thumbnails and removal, the live fix and its
// accuracy, the map of the cells around the pin (tap to pin, drag to pan, zoom) and the no-map
// path (street, community, cell), the category by class or search with every question's own
// control, the description, anonymity where the category allows it, send and discard; before
// sending, the open reports of the same category nearby (when the core found any online) with
// "this is mine too" (follow it, keeping or discarding the draft) or "send anyway". Every
// check, limit and word is the core's; after a send or an account switch the core empties the
// form and this view, which keeps no copy, shows it empty. Compiled by Xcode only.
import GridlineKit
import PhotosUI
import SwiftUI

struct NewReportView: View {
    let core: AppCore
    let location: CoreLocationProvider
    var draftId: String?
    @State private var model: NewReportModel?
    @StateObject private var drawn = Drawn<NewReportState>()
    @State private var showingCamera = false
    @State private var picked: [PhotosPickerItem] = []
    @State private var listMode = false

    var body: some View {
        Group {
            if let state = drawn.state {
                form(state)
            } else {
                ProgressView()
            }
        }
        .task {
            let opened = await core.openNewReport(draftId: draftId)
            model = opened
            await drawn.follow(opened.states)
        }
        .task {
            // The pin starts where the phone is; then each new fix is pushed to the core, which
            // words it with its accuracy and moves the pin with it until the user places it.
            location.start()
            defer { location.stop() }
            send(.useMyLocation)
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: locationRefresh)
                if let fix = location.currentFix() { send(.locationUpdated(fix: fix)) }
            }
        }
        .sheet(isPresented: $showingCamera) { CameraPicker { send(.addPhoto(bytes: $0)) } }
        .onChange(of: picked) { items in
            for item in items {
                Task {
                    // The library's original bytes (EXIF and all); the core prepares them.
                    let data = try? await item.loadTransferable(type: Data.self)
                    if let data { send(.addPhoto(bytes: data)) }
                }
            }
            picked = []
        }
    }

    /// How often the fix is asked again while the screen is open (a refresh, not a rule).
    private var locationRefresh: UInt64 { 5 * NSEC_PER_SEC }

    private func send(_ intent: NewReportIntent) {
        guard let model else { return }
        Task { await model.dispatch(intent) }
    }

    @ViewBuilder
    private func form(_ state: NewReportState) -> some View {
        Form {
            Section(state.photosLabel) {
                ScrollView(.horizontal) {
                    HStack {
                        ForEach(state.photos, id: \.id) { photo in
                            VStack {
                                if let image = UIImage(contentsOfFile: photo.thumbnailPath) {
                                    Image(uiImage: image).resizable().scaledToFit().frame(width: 72, height: 72)
                                }
                                Button(photo.removeLabel) { send(.removePhoto(photoId: photo.id)) }
                            }
                        }
                    }
                }
                Button("take_photo") { showingCamera = true }.disabled(!state.addPhotoEnabled)
                PhotosPicker(selection: $picked, matching: .images) { Text("pick_photos") }.disabled(!state.addPhotoEnabled)
                if let error = state.photosError { Text(error).foregroundColor(.red) }
            }
            Section(state.placeText) {
                Text(state.locationText)
                Button(state.useLocationLabel) { send(.useMyLocation) }
                if let map = state.map { GridMap(map: map, send: send) }
                if let error = state.positionError { Text(error).foregroundColor(.red) }
                // The no-map path (VoiceOver, indoors): street, then community, then cell.
                Toggle("choose_from_list", isOn: $listMode)
                if listMode || state.map == nil {
                    Choices(choices: state.streets) { send(.chooseStreet(code: $0)) }
                    Choices(choices: state.communities) { send(.chooseCommunity(code: $0)) }
                    Choices(choices: state.cells) { send(.chooseCell(code: $0)) }
                }
            }
            Section(state.categoryLabel) {
                if let category = state.category { Text("\(category.path) · \(category.name)") }
                Choices(choices: state.kinds) { send(.browseKind(kind: $0)) }
                Choices(choices: state.majors) { send(.browseMajor(major: $0)) }
                TextField("category_search", text: Binding(get: { state.categoryQuery }, set: { send(.searchCategory(query: $0)) }))
                ForEach(state.categoryResults, id: \.code) { result in
                    Button("\(result.code) \(result.name)") { send(.chooseCategory(code: result.code)) }
                        .foregroundColor(result.selected ? .accentColor : .primary)
                }
                if let error = state.categoryError { Text(error).foregroundColor(.red) }
                ForEach(state.questions, id: \.code) { question in
                    QuestionField(question: question) { send(.answer(question: question.code, input: $0)) }
                }
            }
            Section(state.descriptionLabel) {
                TextEditor(text: Binding(get: { state.description }, set: { send(.setDescription(text: $0)) }))
                Text(state.descriptionError ?? state.descriptionCounter)
                    .foregroundColor(state.descriptionError == nil ? .secondary : .red)
            }
            if state.anonymousVisible {
                Section {
                    Toggle(state.anonymousLabel, isOn: Binding(get: { state.anonymous }, set: { send(.setAnonymous(anonymous: $0)) }))
                    if let error = state.anonymousError { Text(error).foregroundColor(.red) }
                }
            }
            if !state.nearby.isEmpty {
                Section(state.nearbyTitle) {
                    ForEach(state.nearby, id: \.trackingNumber) { report in
                        VStack(alignment: .leading) {
                            Text("\(report.trackingNumber) · \(report.stateText)")
                            Text("\(report.distanceText) · \(report.timeText)").font(.caption)
                            if !report.description.isEmpty { Text(report.description) }
                            Button(state.followLabel) {
                                send(.followNearby(trackingNumber: report.trackingNumber, keepDraft: true))
                            }
                            Button(state.followDiscardLabel, role: .destructive) {
                                send(.followNearby(trackingNumber: report.trackingNumber, keepDraft: false))
                            }
                        }
                    }
                    Button(state.sendAnywayLabel) { send(.sendAnyway) }.disabled(state.busy)
                }
            }
            Section {
                if let message = state.message { Text(message) }
                Button(state.sendLabel) { send(.send) }.disabled(!state.sendEnabled || state.busy)
                if state.draftId != nil { Button(state.discardLabel, role: .destructive) { send(.discard) } }
                if state.busy { ProgressView() }
            }
        }
        .navigationTitle(state.title)
    }
}

/// One of the core's choice lists, the chosen one marked.
struct Choices: View {
    let choices: [Choice]
    let choose: (String) -> Void

    var body: some View {
        ForEach(choices, id: \.key) { choice in
            Button { choose(choice.key) } label: {
                HStack {
                    Text(choice.label)
                    Spacer()
                    if choice.selected { Image(systemName: "checkmark") }
                }
            }
        }
    }
}

/// A category question with its own control; the core checks the answer and words the error.
struct QuestionField: View {
    let question: QuestionView
    let answer: (AnswerInput) -> Void

    var body: some View {
        VStack(alignment: .leading) {
            Text(question.required ? "\(question.label) *" : question.label)
            switch question.control {
            case .singleChoice:
                ForEach(question.options, id: \.key) { option in
                    Button { answer(.one(value: option.key)) } label: {
                        Label(option.label, systemImage: option.selected ? "largecircle.fill.circle" : "circle")
                    }
                }
            case .multiChoice:
                ForEach(question.options, id: \.key) { option in
                    Button {
                        var chosen = Set(question.options.filter { $0.selected }.map { $0.key })
                        if option.selected { chosen.remove(option.key) } else { chosen.insert(option.key) }
                        answer(.many(keys: Array(chosen)))
                    } label: {
                        Label(option.label, systemImage: option.selected ? "checkmark.square" : "square")
                    }
                }
            case .number:
                TextField("", text: text).keyboardType(.decimalPad)
            case .multiLine:
                TextEditor(text: text)
            case .singleLine, .dateTime:
                TextField("", text: text)
            }
            if let error = question.error { Text(error).foregroundColor(.red) }
        }
    }

    private var text: Binding<String> {
        Binding(get: { question.values.first ?? "" }, set: { answer(.one(value: $0)) })
    }
}

/// The cells around the pin from the offline grid package, in a square `spanM` metres wide
/// around its centre, over the platform's base-map tiles when one is plugged in: a tap places
/// the pin, a drag pans, the buttons zoom. The routed cell is filled; its name is the section's
/// title (placeText).
struct GridMap: View {
    let map: MapView
    let send: (NewReportIntent) -> Void

    // A degree of latitude on the mean Earth (radius 6,371 km), for drawing only.
    private var metresPerDegreeLat: Double { 6_371_000 * .pi / 180 }
    private var metresPerDegreeLon: Double { metresPerDegreeLat * cos(map.centre.lat * .pi / 180) }

    var body: some View {
        VStack {
            GeometryReader { geometry in
                let side = geometry.size.width
                let scale = side / map.spanM
                Canvas { context, size in
                    // The platform's base map, if one is plugged in: the core names each tile
                    // and where it goes.
                    for tile in map.baseTiles {
                        let path = tile.source.hasPrefix("file://") ? String(tile.source.dropFirst(7)) : tile.source
                        guard let image = UIImage(contentsOfFile: path) else { continue }
                        let topLeft = position(tile.northWest.lat, tile.northWest.lon, size: size, scale: scale)
                        let bottomRight = position(tile.southEast.lat, tile.southEast.lon, size: size, scale: scale)
                        context.draw(
                            Image(uiImage: image),
                            in: CGRect(x: topLeft.x, y: topLeft.y, width: bottomRight.x - topLeft.x, height: bottomRight.y - topLeft.y))
                    }
                    for cell in map.cells {
                        for ring in cell.rings {
                            var path = Path()
                            for (index, point) in ring.enumerated() {
                                let at = position(point.lat, point.lon, size: size, scale: scale)
                                if index == 0 { path.move(to: at) } else { path.addLine(to: at) }
                            }
                            path.closeSubpath()
                            if cell.highlighted { context.fill(path, with: .color(.accentColor.opacity(0.25))) }
                            context.stroke(path, with: .color(.gray))
                        }
                    }
                    if let fix = map.fix {
                        let at = position(fix.lat, fix.lon, size: size, scale: scale)
                        context.fill(Path(ellipseIn: CGRect(x: at.x - 6, y: at.y - 6, width: 12, height: 12)), with: .color(.blue))
                    }
                    if let pin = map.pin {
                        let at = position(pin.lat, pin.lon, size: size, scale: scale)
                        context.fill(Path(ellipseIn: CGRect(x: at.x - 8, y: at.y - 8, width: 16, height: 16)), with: .color(.red))
                    }
                }
                .contentShape(Rectangle())
                .gesture(
                    DragGesture(minimumDistance: 0).onEnded { drag in
                        let moved = drag.translation
                        if abs(moved.width) + abs(moved.height) < 4 {
                            let east = (drag.location.x - side / 2) / scale
                            let north = (side / 2 - drag.location.y) / scale
                            send(.placePin(lat: map.centre.lat + north / metresPerDegreeLat,
                                           lon: map.centre.lon + east / metresPerDegreeLon))
                        } else {
                            send(.panMap(eastM: -moved.width / scale, northM: moved.height / scale))
                        }
                    }
                )
            }
            .aspectRatio(1, contentMode: .fit)
            HStack {
                Button("+") { send(.zoomIn) }.disabled(!map.zoomInEnabled)
                Button("−") { send(.zoomOut) }.disabled(!map.zoomOutEnabled)
            }
        }
    }

    private func position(_ lat: Double, _ lon: Double, size: CGSize, scale: Double) -> CGPoint {
        CGPoint(x: size.width / 2 + (lon - map.centre.lon) * metresPerDegreeLon * scale,
                y: size.height / 2 - (lat - map.centre.lat) * metresPerDegreeLat * scale)
    }
}

/// The camera at full resolution (the original image), handing over a JPEG.
struct CameraPicker: UIViewControllerRepresentable {
    let onPicture: (Data) -> Void

    func makeUIViewController(context: Context) -> UIImagePickerController {
        let picker = UIImagePickerController()
        picker.sourceType = UIImagePickerController.isSourceTypeAvailable(.camera) ? .camera : .photoLibrary
        picker.delegate = context.coordinator
        return picker
    }

    func updateUIViewController(_ controller: UIImagePickerController, context: Context) {}

    func makeCoordinator() -> Coordinator { Coordinator(onPicture: onPicture) }

    final class Coordinator: NSObject, UIImagePickerControllerDelegate, UINavigationControllerDelegate {
        let onPicture: (Data) -> Void

        init(onPicture: @escaping (Data) -> Void) { self.onPicture = onPicture }

        func imagePickerController(_ picker: UIImagePickerController,
                                   didFinishPickingMediaWithInfo info: [UIImagePickerController.InfoKey: Any]) {
            // HEIC from the camera becomes JPEG here: the core prepares JPEG, PNG and WebP.
            if let image = info[.originalImage] as? UIImage, let jpeg = image.jpegData(compressionQuality: 0.9) {
                onPicture(jpeg)
            }
            picker.dismiss(animated: true)
        }
    }
}
