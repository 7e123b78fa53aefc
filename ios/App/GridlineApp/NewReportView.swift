// The citizen's new report: camera, location (permission, fix, pin adjustment), category
// search, description with its counter, the anonymous switch, send. The rules are in
// NewReportForm (Presentation.swift); this view renders it and calls GridlineKit.
import CoreLocation
import GridlineKit
import SwiftUI
import UIKit

@MainActor
final class NewReportModel: NSObject, ObservableObject, CLLocationManagerDelegate {
    @Published var form = NewReportForm()
    let client: GridlineClient
    private let location = CLLocationManager()

    init(client: GridlineClient) {
        self.client = client
        super.init()
        form.categories = client.categories
        location.delegate = self
    }

    func askForLocation() {
        location.requestWhenInUseAuthorization()
        location.startUpdatingLocation()
    }

    nonisolated func locationManager(_ manager: CLLocationManager, didUpdateLocations locations: [CLLocation]) {
        guard let fix = locations.last else { return }
        let position = Position(lat: fix.coordinate.latitude, lon: fix.coordinate.longitude, crs: .wgs84,
                                accuracyM: fix.horizontalAccuracy >= 0 ? fix.horizontalAccuracy : nil)
        Task { @MainActor in self.form.fix(position) }
    }

    private func fields() -> DraftFields {
        DraftFields(category: form.category?.code, description: form.description, position: form.position,
                    capturedAt: nil, answers: [:], anonymous: form.anonymous)
    }

    private func saveDraft() async throws -> String {
        if let id = form.draftId {
            return try await client.updateDraft(id, fields: fields()).id
        }
        let id = try await client.createDraft(fields()).id
        form.draftId = id
        return id
    }

    func addPhoto(_ jpeg: Data) async {
        do {
            let id = try await saveDraft()
            form.photoIds.append(try await client.addPhoto(id, cameraBytes: jpeg).id)
        } catch {
            form.failure = error.localizedDescription
        }
    }

    func send() async {
        guard form.pressSend() else { return }
        do {
            let id = try await saveDraft()
            let problems = try await client.checkDraft(id)
            if !problems.isEmpty {
                form.serverProblems = problems
                form.status = .editing
                return
            }
            _ = try await client.submit(id)
            form.status = .queued
            BackgroundSync.schedule(afterQueueing: true)
            _ = try await client.syncNow()
        } catch {
            form.status = .failed
            form.failure = error.localizedDescription
        }
    }
}

struct NewReportView: View {
    @StateObject var model: NewReportModel
    @State private var showingCamera = false
    @Environment(\.dismiss) private var dismiss
    private var chinese: Bool { Locale.current.language.languageCode?.identifier == "zh" }

    var body: some View {
        Form {
            Section {
                Button(String(format: NSLocalizedString("take_photo", comment: ""), model.form.photoIds.count)) { showingCamera = true }
            }
            Section {
                PinAdjuster(position: model.form.position) { lat, lon in model.form.movePin(lat: lat, lon: lon) }
                    .frame(height: 160)
                if let metres = model.form.accuracyKey.metres {
                    Text(String(format: NSLocalizedString(model.form.accuracyKey.key, comment: ""), metres))
                } else {
                    Text(LocalizedStringKey(model.form.accuracyKey.key))
                }
            }
            Section {
                TextField(model.form.category.map { chinese ? $0.nameZh : $0.nameEn } ?? NSLocalizedString("category_search", comment: ""),
                          text: $model.form.query)
                if !model.form.query.isEmpty {
                    ForEach(model.form.matches, id: \.code) { category in
                        Button("\(category.code)  \(chinese ? category.nameZh : category.nameEn)") { model.form.choose(code: category.code) }
                    }
                }
            }
            Section {
                TextEditor(text: $model.form.description).frame(minHeight: 100)
                Text(String(format: NSLocalizedString("characters_left", comment: ""), model.form.descriptionLeft))
                Toggle("anonymous", isOn: Binding(get: { model.form.anonymous }, set: { model.form.setAnonymous($0) }))
                    .disabled(!model.form.anonymousAvailable)
            }
            Section {
                ForEach(model.form.shownProblems, id: \.self) { Text(LocalizedStringKey($0.rawValue)).foregroundColor(.red) }
                ForEach(model.form.serverProblems, id: \.field) { Text("\($0.field): \($0.message)").foregroundColor(.red) }
                if let failure = model.form.failure { Text(failure).foregroundColor(.red) }
                Button("send") { Task { await model.send() } }.disabled(!model.form.canSend)
            }
        }
        .navigationTitle("new_report_title")
        .onAppear { model.askForLocation() }
        .onChange(of: model.form.status) { status in if status == .queued { dismiss() } }
        .sheet(isPresented: $showingCamera) {
            CameraPicker { jpeg in Task { await model.addPhoto(jpeg) } }
        }
    }
}

/// The pin: dragging moves it, 1 point per metre. A stand-in for the city's map SDK.
struct PinAdjuster: View {
    let position: Position?
    let onMoved: (Double, Double) -> Void

    var body: some View {
        ZStack {
            Color.gray.opacity(0.2)
            if let position {
                Text(String(format: "%.5f, %.5f", position.lat, position.lon))
            } else {
                Text("waiting_for_fix")
            }
        }
        .gesture(DragGesture().onEnded { drag in
            guard let here = position else { return }
            let metresPerDegree = 111_320.0
            onMoved(here.lat - drag.translation.height / metresPerDegree,
                    here.lon + drag.translation.width / (metresPerDegree * cos(here.lat * .pi / 180)))
        })
    }
}

/// The camera, handing over a JPEG.
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
