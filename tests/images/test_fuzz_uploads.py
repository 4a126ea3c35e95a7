"""Mutated JPEGs and PNGs through the API: 201 with thumbnails that all serve, or 400.

Never a 5xx; nothing half-accepted: the list shows exactly the uploads that got 201,
and every thumbnail link of each answers 200 with an image that decodes, in the
source format and as WebP.
"""

import io

from PIL import Image as PILImage

from tests.images.conftest import fetch
from tests.processing.mutations import mutants

COUNT = 100
SEED = 1105


def test_mutated_uploads_are_refused_or_fully_served(client_for, upload):
    client = client_for("Enterprise")
    accepted, refused = [], []

    for mutant in mutants(COUNT, SEED):
        response = upload(client, mutant.data, name="fuzz.png")
        assert response.status_code in (201, 400), (mutant.name, response.status_code)
        if response.status_code == 400:
            assert "image" in response.json() or "detail" in response.json(), mutant.name
            refused.append(mutant.name)
            continue
        image = response.json()
        accepted.append(image["id"])
        for thumb in image["thumbnails"]:
            for accept in ("*/*", "image/webp"):
                served = fetch(thumb["url"], accept)
                assert served.status_code == 200, (mutant.name, accept, served.status_code)
                with PILImage.open(io.BytesIO(served.body)) as picture:
                    picture.load()
                    assert picture.height <= thumb["height"], mutant.name

    listed = client.get("/api/user/images/").json()
    assert sorted(item["id"] for item in listed) == sorted(accepted)
    # Both outcomes are common, or the test would prove little.
    assert len(accepted) >= COUNT // 10 and len(refused) >= COUNT // 4, (accepted, refused)
